import type { ChildProcess } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import { EmotionStreamError, errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { ffmpegBinary } from '../sources/ffmpeg-binary.ts';
import { ffmpegReason } from '../sources/ffmpeg-reason.ts';
import { commandEnded, exitOf, ffmpegCommand, spawnedProcess } from '../sources/fluent-command.ts';

export interface AnnotatedVideoWriterOptions {
  /** Output mp4 path; its directory must exist. An existing file is overwritten. */
  outPath: string;
  /** Size of every frame written, pixels. Odd sizes are padded by one pixel (H.264 4:2:0 needs even). */
  width: number;
  height: number;
  /** Frame rate of the output, frames per second (e.g. the stream-start fps). */
  fps: number;
  /** x264 quality, 0-51 (lower is better), default 23. */
  crf?: number;
  /** x264 speed/size trade-off, default 'veryfast' (keeps up with live video on a small CPU). */
  preset?: string;
  ffmpegPath?: string;
  logger?: Logger;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

const STDERR_LINES_KEPT = 20;

/**
 * Writes BGR24 frames into an H.264 mp4 through ffmpeg (driven by fluent-ffmpeg) reading raw
 * video on stdin. The output has one frame per `write()`, at `fps`, in writing order.
 *
 * Call `await write()` per frame (it waits while ffmpeg's stdin is full, so a slow encoder
 * slows the pipeline instead of growing memory), then `close()` to finish the file.
 */
export class AnnotatedVideoWriter {
  readonly outPath: string;
  /** Piped into ffmpeg's stdin by fluent-ffmpeg; its 'drain' follows stdin's through the pipe. */
  private readonly input = new PassThrough();
  private readonly command: FfmpegCommand;
  private readonly frameBytes: number;
  private readonly log: Logger;
  private readonly exited: Promise<Exit>;
  private readonly stderrTail: string[] = [];
  private child?: ChildProcess;
  private frames = 0;
  private closing?: Promise<void>;
  private failed?: Promise<EmotionStreamError>;

  private constructor(options: AnnotatedVideoWriterOptions, binary: string) {
    this.outPath = options.outPath;
    this.frameBytes = options.width * options.height * 3;
    this.log = (options.logger ?? silentLogger()).child({ sink: 'annotated-video', path: options.outPath });
    this.command = encoderCommand(binary, this.input, options);
    this.command.on('stderr', (line: string) => this.keepStderr(line));
    this.exited = commandEnded(this.command).then(() => {
      // A dead encoder reads no more: fail pending and later writes (see drained()) instead of waiting forever.
      this.input.destroy();
      return exitOf(this.child);
    });
  }

  /**
   * Starts ffmpeg for a new output file.
   *
   * @throws ERR_SINK when the output directory does not exist or the size/fps are invalid;
   *   ERR_FFMPEG_MISSING when ffmpeg cannot be started.
   */
  static async open(options: AnnotatedVideoWriterOptions): Promise<AnnotatedVideoWriter> {
    validate(options);
    const binary = ffmpegBinary('ffmpeg', options.ffmpegPath);
    const writer = new AnnotatedVideoWriter(options, binary);
    const spawned = spawnedProcess(writer.command, binary);
    writer.command.run();
    try {
      writer.child = await spawned;
    } catch (err) {
      // fluent-ffmpeg refused before spawning (e.g. no libx264 in this ffmpeg build).
      throw isEmotionStreamError(err) ? err : writer.sinkError(errorMessage(err));
    }
    writer.log.info({ width: options.width, height: options.height, fps: options.fps }, 'annotated video started');
    return writer;
  }

  /** Frames accepted so far. */
  get framesWritten(): number {
    return this.frames;
  }

  /**
   * Queues one frame (exactly width * height * 3 bytes of BGR24). Resolves at once while
   * ffmpeg keeps up, otherwise when its stdin has drained.
   *
   * @throws ERR_SINK for a wrongly sized frame, a write after close(), or when ffmpeg has failed
   *   (with its last stderr line).
   */
  async write(pixels: Buffer): Promise<void> {
    if (this.closing) throw this.sinkError('write after close');
    if (pixels.length !== this.frameBytes) {
      throw this.sinkError(`frame is ${pixels.length} bytes, expected ${this.frameBytes} (BGR24)`);
    }
    if (!this.input.writable) throw await this.failure();
    this.frames += 1;
    if (!this.input.write(pixels)) await this.drained();
  }

  /**
   * Ends the input and waits for ffmpeg to finish the file. With no frames written there is no
   * video to keep: the empty file is removed. Idempotent.
   *
   * @throws ERR_SINK with ffmpeg's last stderr line when encoding failed.
   */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** Kills ffmpeg and removes the unfinished file (for pipelines that failed). */
  async abort(): Promise<void> {
    this.closing ??= Promise.resolve();
    this.command.kill('SIGKILL');
    await this.exited;
    rmSync(this.outPath, { force: true });
  }

  private async finish(): Promise<void> {
    this.input.end();
    const exit = await this.exited;
    if (exit.code !== 0) throw await this.failure();
    if (this.frames === 0) {
      rmSync(this.outPath, { force: true });
      this.log.warn('no frames were written: no annotated video kept');
      return;
    }
    this.log.info({ frames: this.frames }, 'annotated video written');
  }

  private drained(): Promise<void> {
    const input = this.input;
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        input.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        input.off('drain', onDrain);
        this.failure().then(reject, reject);
      };
      input.once('drain', onDrain);
      input.once('close', onClose);
    });
  }

  /** The error for a dead encoder, once its stderr has been read to the end (built and logged once). */
  private failure(): Promise<EmotionStreamError> {
    this.failed ??= this.describeFailure();
    return this.failed;
  }

  private async describeFailure(): Promise<EmotionStreamError> {
    const exit = await this.exited;
    const reason = ffmpegReason(this.stderrTail, 1) || `ffmpeg exited with ${exit.signal ?? `code ${exit.code}`}`;
    this.log.warn({ reason, frames: this.frames }, 'annotated video failed');
    return this.sinkError(reason, exit);
  }

  private sinkError(reason: string, context: Record<string, unknown> = {}): EmotionStreamError {
    return new EmotionStreamError('ERR_SINK', `annotated video ${this.outPath}: ${reason}`, {
      context: { path: this.outPath, ...context },
    });
  }

  private keepStderr(line: string): void {
    if (!line.trim()) return;
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
  }
}

function validate(options: AnnotatedVideoWriterOptions): void {
  const dir = dirname(options.outPath);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EmotionStreamError('ERR_SINK', `output directory does not exist: ${dir}`, { context: { path: options.outPath } });
  }
  const { width, height, fps } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !(fps > 0)) {
    throw new EmotionStreamError('ERR_SINK', `invalid annotated video format ${width}x${height} at ${fps} fps`, {
      context: { width, height, fps },
    });
  }
}

/** Raw BGR24 frames on stdin, H.264 yuv420p mp4 out (fluent-ffmpeg adds `-y` for a file output). */
function encoderCommand(binary: string, input: PassThrough, options: AnnotatedVideoWriterOptions): FfmpegCommand {
  const { width, height, fps } = options;
  const command = ffmpegCommand(binary, { source: input })
    .inputOptions('-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error')
    .inputFormat('rawvideo')
    .inputOptions('-pix_fmt', 'bgr24', '-s', `${width}x${height}`, '-r', String(fps))
    .output(options.outPath)
    .videoCodec('libx264')
    .outputOptions('-preset', options.preset ?? 'veryfast', '-crf', String(options.crf ?? 23), '-pix_fmt', 'yuv420p', '-movflags', '+faststart');
  return width % 2 || height % 2 ? command.videoFilters('pad=ceil(iw/2)*2:ceil(ih/2)*2') : command;
}
