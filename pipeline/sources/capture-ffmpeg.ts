import { Observable, type Subscriber } from 'rxjs';
import { EmotionStreamError, errorMessage, type ErrorCode } from '../../common/errors.ts';
import type { FlowGate } from '../flow/flow-gate.ts';
import { FramePump, type PumpedFrame } from '../flow/frame-pump.ts';
import { frameKey, type FrameStore } from '../frames/frame-store.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { FrameMsg, PipelineMsg, StreamEndMsg } from '../messages.ts';
import { describeSource } from './describe-source.ts';
import { ffmpegBinary } from './ffmpeg-binary.ts';
import { FfmpegDecoder, type DecodedFrame, type DecoderExit } from './ffmpeg-decoder.ts';
import { IntegrityMonitor } from './integrity-monitor.ts';
import { probeVideo, type VideoInfo } from './probe-video.ts';
import { sourceReason } from './source-reason.ts';
import type { VideoSource } from './video-source.ts';

const STAGE = 'capture-ffmpeg';

/** A live frame thrown away because a newer one arrived while the flow gate was full. */
export interface CaptureDrop {
  cameraId: string;
  seq: number;
  ptsMs: number;
  /** Frames dropped so far in this stream, this one included. */
  dropped: number;
}

export interface CaptureOptions {
  source: VideoSource;
  cameraId: string;
  /** Receives each emitted frame's BGR24 pixels under `frameKey(cameraId, seq)`; downstream deletes them. */
  frameStore: FrameStore;
  /** One credit per emitted frame; whoever finishes with the frame releases it. */
  gate: FlowGate;
  /** 'replay': never drop, decoding waits for the gate. 'live': read at the source rate, drop the oldest waiting frame. */
  mode: 'replay' | 'live';
  /** File sources: emit each frame no earlier than (first frame time + its ptsMs), i.e. play at the file's real rate. Ignored for live sources. */
  realtime?: boolean;
  /** Scale every frame to this size (pixels); default: the source's size. */
  resize?: { width: number; height: number };
  onDrop?: (info: CaptureDrop) => void;
  logger?: Logger;
  /** ffmpeg executable; ffprobe is looked for next to it (default: FFMPEG_PATH / FFPROBE_PATH / PATH). */
  ffmpegPath?: string;
  /** Aborting ends the stream gracefully: ffmpeg is stopped, waiting frames discarded, stream-end 'stopped' emitted. */
  signal?: AbortSignal;
  /** What a caller already learnt by probing this source: capture then skips its own probe (a few hundred ms). */
  probed?: VideoInfo;
}

/**
 * Capture source: decodes `source` with ffmpeg and emits `stream-start`, one `frame` per
 * decoded frame (seq from 0, ptsMs from each frame's own timestamp, pixels in the frame store),
 * then `stream-end` ('eof'; 'error' with {code, message} after the frames ffmpeg could decode;
 * 'stopped' when `signal` aborts; `integrity`: decode errors and presentation-time gaps, each
 * also logged at warn when seen), then completes. A damaged source still ends 'eof'.
 *
 * Errors opening the source error the observable before `stream-start` with ERR_SOURCE_NOT_FOUND,
 * ERR_SOURCE_UNREADABLE, ERR_SOURCE_UNREACHABLE or ERR_FFMPEG_MISSING. Unsubscribing kills
 * ffmpeg and discards waiting frames (nothing can be emitted after unsubscribe; use `signal` to
 * get a final `stream-end`).
 */
export function captureFfmpeg(options: CaptureOptions): Observable<PipelineMsg> {
  return new Observable<PipelineMsg>((subscriber) => {
    const session = new CaptureSession(options, subscriber);
    void session.start();
    return () => session.teardown();
  });
}

class CaptureSession {
  private readonly options: CaptureOptions;
  private readonly out: Subscriber<PipelineMsg>;
  private readonly log: Logger;
  private decoder?: FfmpegDecoder;
  private pump?: FramePump;
  private integrity?: IntegrityMonitor;
  private size = { width: 0, height: 0 };
  private nextSeq = 0;
  private ended = false;
  private readonly onAbort = () => this.finish({ reason: 'stopped' });

  constructor(options: CaptureOptions, out: Subscriber<PipelineMsg>) {
    this.options = options;
    this.out = out;
    this.log = (options.logger ?? silentLogger()).child({ stage: STAGE, camera: options.cameraId });
  }

  async start(): Promise<void> {
    const { source, signal } = this.options;
    try {
      checkResize(this.options.resize);
      const info = this.options.probed ?? await probeVideo(source, { ffprobePath: ffprobeNextTo(this.options.ffmpegPath) });
      if (this.out.closed) return;
      // Stopped before anything was opened: there is no stream to end.
      if (signal?.aborted) return this.out.complete();
      this.size = this.options.resize ?? { width: info.width, height: info.height };
      this.pump = this.createPump();
      // A live camera whose rate sags would open a gap on every frame: its gaps are logged at most every 5 s.
      this.integrity = new IntegrityMonitor({ fps: info.fps, logger: this.log, gapWarnWindowMs: this.options.source.type === 'file' ? 0 : 5000 });
      this.decoder = this.createDecoder(info);
      await this.decoder.start();
      if (this.out.closed) return;
      this.emitStart(info);
      if (signal?.aborted) return this.finish({ reason: 'stopped' });
      signal?.addEventListener('abort', this.onAbort, { once: true });
    } catch (err) {
      // Debug only: the caller receives the coded error and decides how to report it (one line in the CLI).
      this.log.debug({ err, source: describeSource(source) }, 'capture could not open its source');
      this.teardown();
      this.out.error(err);
    }
  }

  /** Unsubscribe (or a failed start): stop everything, emit nothing. */
  teardown(): void {
    this.ended = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.pump?.stop();
    this.decoder?.stop();
  }

  private createPump(): FramePump {
    const { mode, realtime = false, gate, source } = this.options;
    return new FramePump({
      mode,
      // Cameras and streams already arrive at their own pace; pacing them again would only add delay.
      realtime: realtime && source.type === 'file',
      gate,
      emit: (frame) => this.emitFrame(frame),
      drop: (frame) => this.reportDrop(frame),
      setPaused: (paused) => (paused ? this.decoder?.pause() : this.decoder?.resume()),
    });
  }

  private createDecoder(info: VideoInfo): FfmpegDecoder {
    return new FfmpegDecoder({
      source: this.options.source,
      ...this.size,
      fps: info.fps,
      binary: ffmpegBinary('ffmpeg', this.options.ffmpegPath),
      onFrame: (frame) => this.onDecoded(frame),
      onDecodeError: (text) => this.integrity?.decodeError(text),
      onExit: (exit) => void this.onDecoderExit(exit),
    });
  }

  private emitStart(info: VideoInfo): void {
    const source = describeSource(this.options.source);
    const size = this.size;
    this.log.info({ source, ...size, fps: info.fps, mode: this.options.mode }, 'capture started');
    this.out.next({ kind: 'stream-start', v: 1, cameraId: this.options.cameraId, source, ...size, fps: info.fps, startedAt: Date.now() });
  }

  private onDecoded(frame: DecodedFrame): void {
    // Measured on every decoded frame, before live capture drops any: a drop is not source damage.
    this.integrity?.frame(this.nextSeq, frame.ptsMs);
    this.pump?.push({ ...frame, seq: this.nextSeq++ });
  }

  private emitFrame(frame: PumpedFrame): void {
    const { cameraId, frameStore } = this.options;
    const key = frameKey(cameraId, frame.seq);
    const { width, height } = this.size;
    const msg: FrameMsg = {
      kind: 'frame',
      v: 1,
      meta: { cameraId, seq: frame.seq, ptsMs: frame.ptsMs, capturedAt: frame.capturedAt, width, height, frameKey: key, ...(this.options.mode === 'live' ? { live: true as const } : {}) },
      timings: {},
    };
    try {
      frameStore.put(key, frame.pixels);
    } catch (err) {
      // The frame still goes out (and still holds its gate credit) so the sink releases it and counts the fault.
      const code = err instanceof EmotionStreamError ? err.code : 'ERR_FRAME_MISSING';
      msg.fault = { stage: STAGE, code, message: `frame could not be stored: ${errorMessage(err)}` };
      this.log.warn({ err, frame: frame.seq }, 'frame could not be stored');
    }
    this.log.debug({ frame: frame.seq, ptsMs: frame.ptsMs }, 'frame captured');
    this.out.next(msg);
  }

  private reportDrop(frame: PumpedFrame): void {
    const dropped = this.pump?.dropped ?? 0;
    if (dropped === 1) this.log.warn({ frame: frame.seq }, 'pipeline is slower than the camera: dropping the oldest waiting frames');
    else this.log.debug({ frame: frame.seq, dropped }, 'frame dropped');
    this.options.onDrop?.({ cameraId: this.options.cameraId, seq: frame.seq, ptsMs: frame.ptsMs, dropped });
  }

  private async onDecoderExit(exit: DecoderExit): Promise<void> {
    await this.pump?.idle();
    if (exit.partialBytes > 0) this.log.warn({ bytes: exit.partialBytes }, 'last frame was cut off and is skipped');
    if (!exit.error) return this.finish({ reason: 'eof' });
    const code: ErrorCode = this.options.source.type === 'file' ? 'ERR_SOURCE_UNREADABLE' : 'ERR_SOURCE_UNREACHABLE';
    const message = sourceReason(this.options.source, exit.error);
    this.finish({ reason: 'error', error: { code, message } });
  }

  private finish(end: Pick<StreamEndMsg, 'reason' | 'error'>): void {
    if (this.ended || this.out.closed) return;
    this.teardown();
    const frames = this.pump?.emitted ?? 0;
    const dropped = this.pump?.dropped ?? 0;
    const integrity = this.integrity?.report();
    const damaged = integrity !== undefined && (integrity.decodeErrors > 0 || integrity.ptsGaps > 0);
    const level = end.reason === 'error' || dropped > 0 || damaged ? 'warn' : 'info';
    this.log[level]({ reason: end.reason, error: end.error, frames, dropped, integrity }, 'capture ended');
    this.out.next({ kind: 'stream-end', v: 1, cameraId: this.options.cameraId, frames, ...end, endedAt: Date.now(), ...(integrity ? { integrity } : {}) });
    this.out.complete();
  }
}

function checkResize(resize: CaptureOptions['resize']): void {
  if (!resize) return;
  const ok = (v: number) => Number.isInteger(v) && v > 0;
  if (!ok(resize.width) || !ok(resize.height)) {
    throw new EmotionStreamError('ERR_CONFIG', `capture resize must be positive integer pixels, got ${resize.width}x${resize.height}`, {
      context: { resize },
    });
  }
}

/** ffprobe ships beside ffmpeg: an explicit ffmpeg path implies the ffprobe next to it. */
function ffprobeNextTo(ffmpegPath: string | undefined): string | undefined {
  const match = ffmpegPath ? /^(.*)ffmpeg(\.exe)?$/i.exec(ffmpegPath) : null;
  return match ? `${match[1]}ffprobe${match[2] ?? ''}` : undefined;
}
