import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import { EmotionStreamError, isEmotionStreamError, errorMessage } from '../../common/errors.ts';
import { decodeCommand } from './decode-args.ts';
import { describeSource } from './describe-source.ts';
import { parseFfmpegLogLine } from './ffmpeg-log-line.ts';
import { commandEnded, exitOf, ffmpegCommand, ffmpegProcess, spawnedProcess } from './fluent-command.ts';
import { FrameSplitter } from './frame-splitter.ts';
import type { VideoSource } from './video-source.ts';

/** One decoded frame: BGR24 pixels, its presentation time from the first frame, and when it was read. */
export interface DecodedFrame {
  pixels: Buffer;
  /** Milliseconds from the first frame (microsecond precision), from the frame's own pts. */
  ptsMs: number;
  /** Epoch milliseconds at which the pixels were read from ffmpeg. */
  capturedAt: number;
}

/** How decoding ended on its own (not by `stop()`). `error` is set when ffmpeg failed. */
export interface DecoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ffmpeg's reason on one line, when it exited non-zero or logged an error after its last frame. */
  error?: string;
  /** Bytes of a cut-off frame at the end of stdout (0 normally). */
  partialBytes: number;
}

export interface FfmpegDecoderOptions {
  source: VideoSource;
  width: number;
  height: number;
  /** Nominal rate, used only to extrapolate a frame whose pts ffmpeg did not report. */
  fps: number;
  binary: string;
  onFrame: (frame: DecodedFrame) => void;
  /**
   * Each sign of a damaged source while decoding: an error line (ffmpeg's closing "Conversion
   * failed!" excepted) or a decoder's concealment notice. Called in stderr order, which runs ahead
   * of the frames still unpaired on stdout.
   */
  onDecodeError?: (text: string) => void;
  /** Called once, after the last frame, when ffmpeg ends by itself. */
  onExit: (exit: DecoderExit) => void;
}

/** How long a stopped ffmpeg gets to exit on SIGTERM (RTSP teardown) before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * Runs ffmpeg (through fluent-ffmpeg) on a source and turns its output into frames: stdout is cut
 * into BGR24 frames, stderr's showinfo lines give each frame's pts; the two are paired in order
 * (stdout and stderr are separate pipes, so either may arrive first).
 */
export class FfmpegDecoder {
  private readonly options: FfmpegDecoderOptions;
  private readonly splitter: FrameSplitter;
  /**
   * ffmpeg's stdout, piped in by fluent-ffmpeg; pausing it backs up the pipe until ffmpeg blocks.
   * No autoDestroy: fluent-ffmpeg kills ffmpeg 20 ms after its output stream closes, which could
   * cut a clean exit short (and turn it into an error) under load.
   */
  private readonly stdout = new PassThrough({ autoDestroy: false });
  private readonly pixels: Array<{ pixels: Buffer; capturedAt: number }> = [];
  private readonly pts: Array<number | undefined> = [];
  private timebase = { num: 1, den: 1 };
  private originS?: number;
  private lastPtsMs?: number;
  private errorSinceFrame?: string;
  private command?: FfmpegCommand;
  private child?: ChildProcess;
  private stopped = false;
  private spawned = false;
  private stdoutEnded = false;
  private commandEnded = false;

  constructor(options: FfmpegDecoderOptions) {
    this.options = options;
    this.splitter = new FrameSplitter(options.width * options.height * 3);
  }

  /** The ffmpeg process id once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts ffmpeg. Rejects with ERR_FFMPEG_MISSING when it cannot start. */
  async start(): Promise<void> {
    const { source, width, height, binary } = this.options;
    const { inputOptions, input, outputOptions } = decodeCommand(source, { width, height });
    const command = ffmpegCommand(binary, { source: input }).inputOptions(inputOptions).outputOptions(outputOptions);
    this.command = command;
    this.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.stdout.once('end', () => this.onEnded('stdout'));
    command.on('stderr', (line: string) => this.onStderr(line));
    command.once('start', () => this.onProcess(ffmpegProcess(command)));
    void commandEnded(command).then(() => this.onEnded('command'));
    const spawned = spawnedProcess(command, binary);
    command.pipe(this.stdout, { end: true });
    try {
      await spawned;
      this.spawned = true;
    } catch (err) {
      throw isEmotionStreamError(err) ? err : this.refused(err);
    }
  }

  /** Stops reading stdout: ffmpeg blocks on its next write, so nothing piles up in memory. */
  pause(): void {
    this.stdout.pause();
  }

  resume(): void {
    this.stdout.resume();
  }

  /** Kills ffmpeg and forgets unread frames; `onExit` is not called. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pixels.length = 0;
    const child = this.child;
    // Not spawned yet: onProcess kills it as soon as it exists.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Drain (and discard) stdout so a write blocked on a full pipe returns and ffmpeg sees the signal at once.
    this.stdout.resume();
    this.command?.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    child.once('exit', () => clearTimeout(force));
  }

  private onProcess(child: ChildProcess | undefined): void {
    this.child = child;
    if (this.stopped) child?.kill('SIGKILL');
  }

  /** A fluent-ffmpeg refusal to run (before any process) as the coded error capture reports for its source. */
  private refused(err: unknown): EmotionStreamError {
    const { source } = this.options;
    const code = source.type === 'file' ? 'ERR_SOURCE_UNREADABLE' : 'ERR_SOURCE_UNREACHABLE';
    return new EmotionStreamError(code, `${describeSource(source)} could not be decoded: ${errorMessage(err)}`, { cause: err });
  }

  private onStdout(chunk: Buffer): void {
    if (this.stopped) return;
    const capturedAt = Date.now();
    for (const pixels of this.splitter.push(chunk)) this.pixels.push({ pixels, capturedAt });
    this.pair();
  }

  private onStderr(line: string): void {
    const parsed = parseFfmpegLogLine(line);
    if (parsed.type === 'frame') {
      this.pts.push(parsed.pts);
      this.errorSinceFrame = undefined;
      this.pair();
    } else if (parsed.type === 'timebase') {
      this.timebase = { num: parsed.num, den: parsed.den };
    } else if (parsed.type === 'error' && parsed.text !== 'Conversion failed!') {
      this.errorSinceFrame = parsed.text;
      this.options.onDecodeError?.(parsed.text);
    } else if (parsed.type === 'concealed') {
      this.options.onDecodeError?.(parsed.text);
    }
  }

  private pair(): void {
    while (!this.stopped && this.pixels.length > 0 && this.pts.length > 0) {
      const next = this.pixels.shift()!;
      this.options.onFrame({ ...next, ptsMs: this.toPtsMs(this.pts.shift()) });
    }
  }

  private toPtsMs(pts: number | undefined): number {
    if (pts === undefined) return this.extrapolated();
    const seconds = (pts * this.timebase.num) / this.timebase.den;
    this.originS ??= seconds;
    this.lastPtsMs = Math.round((seconds - this.originS) * 1e6) / 1e3;
    return this.lastPtsMs;
  }

  /** A frame without a pts (rare; some raw streams) is placed one nominal interval after the last. */
  private extrapolated(): number {
    this.lastPtsMs = this.lastPtsMs === undefined ? 0 : Math.round((this.lastPtsMs + 1000 / this.options.fps) * 1e3) / 1e3;
    return this.lastPtsMs;
  }

  /** ffmpeg is done once it has exited with stderr read (fluent's end/error) and stdout is consumed. */
  private onEnded(what: 'stdout' | 'command'): void {
    if (what === 'stdout') this.stdoutEnded = true;
    else this.commandEnded = true;
    // A process that never started was already reported by start()'s rejection.
    if (!this.stdoutEnded || !this.commandEnded || this.stopped || !this.spawned) return;
    // Every showinfo line has been read by now; frames still unpaired had no line at all.
    while (this.pts.length < this.pixels.length) this.pts.push(undefined);
    this.pair();
    const { code, signal } = exitOf(this.child);
    const failed = code !== 0 || this.errorSinceFrame !== undefined;
    const error = failed ? (this.errorSinceFrame ?? `ffmpeg exited with ${signal ?? `code ${code}`}`) : undefined;
    this.options.onExit({ code, signal, partialBytes: this.splitter.pendingBytes, ...(error ? { error } : {}) });
  }
}
