import { concatMap, from, lastValueFrom, type Observable } from 'rxjs';
import type { PipelineConfig } from '../../config/schema.ts';
import { InMemoryFrameStore, type FrameStore } from '../frames/frame-store.ts';
import { FlowGate } from '../flow/flow-gate.ts';
import { captureFfmpeg, type CaptureDrop } from '../sources/capture-ffmpeg.ts';
import { toVideoSource } from '../sources/to-video-source.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import type { PipelineMsg } from '../messages.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { RunSummary } from '../run-stats.ts';
import type { Bus } from '../bus/transport.ts';
import { DEFAULT_STREAM_STATE_TTL_MS, STAGE_QUEUES, TOPICS, jobId, sharedFrameKey, streamKeys, type BusEnvelope, type StageQueue } from './bus-envelope.ts';
import { storeFrame } from './bus-frames.ts';
import type { FrameEncoding } from '../frames/frame-codec.ts';
import type { StreamProgress } from './sink-runner.ts';
import { OpenStreamMarker } from './open-stream-marker.ts';
import { WarnLimiter } from '../warn-limiter.ts';

export interface CapturePublisherOptions {
  bus: Bus;
  config: PipelineConfig;
  /** Frame pixels older than this vanish from the shared store (a stack that crashed mid-stream). */
  frameTtlMs: number;
  /** How frames are stored on a Redis bus (`frameEncodingOf(config.bus)`); the in-memory bus passes them by reference. */
  frameEncoding: FrameEncoding;
  logger?: Logger;
  signal?: AbortSignal;
  onDrop?: (drop: CaptureDrop) => void;
  /** Each message capture emitted, after it is on the bus (camera status counters). */
  onPublished?: (msg: PipelineMsg, streamId: string) => void;
  /**
   * The capture observable (default: one captureFfmpeg session of `config.source`). A supervised
   * live camera passes one that runs session after session; each stream-start opens a new stream.
   */
  capture?: (io: { frameStore: FrameStore; gate: FlowGate; onDrop: (drop: CaptureDrop) => void; signal?: AbortSignal; logger: Logger }) => Observable<PipelineMsg>;
  /** How often capture re-reads the done counter when no progress notice arrives (ms). */
  pollMs?: number;
  /** Each failed read of the bus while waiting for credits or the stream's close (retried on the next poll). */
  onPollError?: (err: unknown) => void;
  /** Receives the flow gate once, before capture starts: its `inFlight` is the frames on the bus the sinks have not finished. */
  onGate?: (gate: Pick<FlowGate, 'inFlight' | 'capacity'>) => void;
  /**
   * After `signal` aborts, how long to wait for the sinks to close the stream before giving up
   * (ms, default STOP_DRAIN_TIMEOUT_MS): without a sinks worker nothing ever closes it.
   */
  stopDrainTimeoutMs?: number;
  /** The camera's open-stream marker vanishes this long after its last update (bus.streamStateTtlSeconds; default 600 s). */
  streamStateTtlMs?: number;
}

export type BusRunSummary = RunSummary & { streamId: string; lost: number };

/** How long a stopped capture waits for its stream to be closed downstream before giving up (default). */
export const STOP_DRAIN_TIMEOUT_MS = 30_000;

/** A bus poll that keeps failing (every pollMs) is logged at most once per window; each failure is counted. */
const POLL_WARN_WINDOW_MS = 10_000;

/**
 * Capture as a bus worker: decodes one source with the embedded capture stage, stores each
 * frame's pixels once in the shared frame store (JPEG by default on Redis, see bus-frames.ts)
 * and puts a reference on the detect queue.
 * Backpressure crosses processes through a flow gate whose credits come back from the
 * broadcaster's per-stream done counter: replay waits for credits (nothing dropped), live drops
 * the oldest waiting frame (counted, and announced to the broadcaster so it never waits for it).
 * Every stream-start (a reconnected camera starts a new one) gets its own stream id. Resolves
 * with the broadcaster's summary of the last stream once its outputs are closed (null when the
 * capture never started a stream).
 */
export async function runCapturePublisher(options: CapturePublisherOptions): Promise<BusRunSummary | null> {
  const { bus, config } = options;
  const logger = (options.logger ?? silentLogger()).child({ camera: config.cameraId, transport: bus.transport });
  const gate = new FlowGate(config.maxInFlight);
  options.onGate?.(gate);
  const local = new InMemoryFrameStore();
  const credits = new CreditReturn(bus, gate, options.pollMs ?? 100, logger, options.onPollError);
  const annotate = Boolean(config.output.annotatedVideo);
  // The stream being published: its id and the sequence numbers it used (frames sent and dropped).
  let stream: { id: string; endPosition: number } | null = null;
  const send = (streamId: string, msg: BusEnvelope['msg'], queue: StageQueue, extra: Partial<BusEnvelope> = {}) => {
    const env: BusEnvelope = { v: 1, streamId, annotate, msg, ...extra };
    return bus.queue<BusEnvelope>(queue).add(jobId(env, queue), env);
  };
  // Drop notices are sent in order, off the capture path (live capture must never wait on them).
  let notices: Promise<void> = Promise.resolve();
  const onDrop = (drop: CaptureDrop) => {
    options.onDrop?.(drop);
    if (!stream) return;
    const streamId = stream.id;
    stream.endPosition = Math.max(stream.endPosition, drop.seq + 1);
    notices = notices.then(() => send(streamId, { kind: 'frame-dropped', v: 1, cameraId: drop.cameraId, seq: drop.seq }, STAGE_QUEUES.sink))
      .catch((err) => logger.error({ err, frame: drop.seq }, 'drop notice could not be sent'));
  };
  const capture = options.capture?.({ frameStore: local, gate, onDrop, signal: options.signal, logger }) ?? defaultCapture(config, { frameStore: local, gate, onDrop, signal: options.signal, logger });
  const marker = new OpenStreamMarker(bus, config.cameraId, options.streamStateTtlMs ?? DEFAULT_STREAM_STATE_TTL_MS);
  await credits.start();
  let last: string | null = null;
  try {
    // A capture of this camera that died mid-stream left it open: end it (its frames so far are
    // kept) and let the sinks close it before a new stream of the same camera starts.
    const leftover = await marker.endLeftover(logger);
    if (leftover) await untilAborted(credits.waitClosed(leftover), options.signal);
    await lastValueFrom(capture.pipe(concatMap((msg) => from(publish(msg)))), { defaultValue: undefined });
    await notices;
    if (!last) return null;
    logger.info({ stream: last }, 'capture finished: waiting for the broadcaster to close the stream');
    if (!options.signal?.aborted) return await credits.waitClosed(last);
    // Stopping (a removed camera, SIGTERM): wait for the drain, but not for ever when no broadcaster runs.
    const drainMs = options.stopDrainTimeoutMs ?? STOP_DRAIN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), drainMs); });
    const closed = await Promise.race([credits.waitClosed(last), gaveUp]).finally(() => clearTimeout(timer));
    if (!closed) logger.warn({ stream: last, waitedMs: drainMs, inFlight: gate.inFlight }, 'stopped without the broadcaster closing the stream');
    return closed;
  } finally {
    await credits.stop();
  }

  async function publish(msg: PipelineMsg): Promise<void> {
    if (msg.kind === 'stream-start') {
      stream = { id: `${config.cameraId}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`, endPosition: 0 };
      last = stream.id;
      credits.track(stream.id);
      logger.info({ stream: stream.id, source: msg.source, width: msg.width, height: msg.height, fps: msg.fps }, 'stream started on the bus');
      await marker.update({ streamId: stream.id, endPosition: 0, annotate });
      await send(stream.id, msg, STAGE_QUEUES.sink, { outputs: { annotatedVideo: config.output.annotatedVideo } });
    } else if (msg.kind === 'frame' && stream) {
      stream.endPosition = Math.max(stream.endPosition, msg.meta.seq + 1);
      const key = sharedFrameKey(stream.id, msg.meta.seq);
      const frame = { pixels: local.get(msg.meta.frameKey), width: msg.meta.width, height: msg.meta.height };
      await storeFrame(bus, key, frame, { encoding: options.frameEncoding, ttlMs: options.frameTtlMs });
      local.delete(msg.meta.frameKey);
      await marker.update({ streamId: stream.id, endPosition: stream.endPosition, annotate });
      await send(stream.id, { ...msg, meta: { ...msg.meta, frameKey: key } }, STAGE_QUEUES.detect);
    } else if (msg.kind === 'stream-end' && stream) {
      await notices;
      await send(stream.id, msg, STAGE_QUEUES.sink, { endPosition: stream.endPosition });
      await marker.clear();
    }
    if (stream) options.onPublished?.(msg, stream.id);
  }
}

/** `promise`, or undefined as soon as `signal` aborts (a stopped capture stops waiting). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(undefined);
  return Promise.race([promise, new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }))]);
}

function defaultCapture(config: PipelineConfig, io: { frameStore: FrameStore; gate: FlowGate; onDrop: (drop: CaptureDrop) => void; signal?: AbortSignal; logger: Logger }): Observable<PipelineMsg> {
  const source = toVideoSource(config.source);
  const mode = config.mode ?? (source.type === 'file' ? 'replay' : 'live');
  return captureFfmpeg({ source, cameraId: config.cameraId, mode, realtime: config.realtime, resize: config.resize, ...io });
}

/**
 * Returns flow credits to capture as the broadcaster finishes frames. The done counter is the
 * truth (a lost pub/sub notice only delays a credit until the next poll); notices just wake it.
 */
class CreditReturn {
  /** Credits handed back so far, per stream still tracked. */
  private readonly returned = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private wake: (() => void) | undefined;
  private checking = false;
  private stopped = false;
  /** Failed polls are all counted (onPollError) but logged at most once per POLL_WARN_WINDOW_MS. */
  private readonly pollWarnings = new WarnLimiter(POLL_WARN_WINDOW_MS);

  constructor(
    private readonly bus: Bus, private readonly gate: FlowGate, private readonly pollMs: number,
    private readonly logger: Logger, private readonly onPollError?: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.topic<StreamProgress>(TOPICS.progress).subscribe((p) => {
      if (this.returned.has(p.streamId)) void this.check();
    });
    this.timer = setInterval(() => void this.check(), this.pollMs);
  }

  track(streamId: string): void {
    this.returned.set(streamId, 0);
  }

  /** Resolves with the broadcaster's summary once it has closed the stream's outputs (null once stopped). */
  async waitClosed(streamId: string): Promise<BusRunSummary | null> {
    while (!this.stopped) {
      const summary = await this.readClosed(streamId).catch((err: unknown) => {
        if (err instanceof EmotionStreamError) throw err;
        this.pollFailed(err, streamId);
        return null; // a failed read (a Redis error): ask again
      });
      if (summary) return summary;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs * 5);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
    return null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    let current: string | undefined;
    try {
      for (const [streamId, returned] of this.returned) {
        current = streamId;
        const done = await this.bus.counters.get(streamKeys.done(streamId));
        let n = returned;
        while (n < done && this.gate.inFlight > 0) {
          this.gate.release();
          n += 1;
        }
        this.returned.set(streamId, n);
        // A finished earlier stream (a camera that reconnected) needs no more polling.
        if (this.returned.size > 1 && n === done && (await this.bus.counters.getValue(streamKeys.closed(streamId)))) this.returned.delete(streamId);
      }
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    } catch (err) {
      // A Redis error (commands wait out a restart, so this is an error reply or a closed bus): the next poll tries again.
      this.pollFailed(err, current);
    } finally {
      this.checking = false;
    }
  }

  private pollFailed(err: unknown, stream: string | undefined): void {
    if (this.stopped) return; // the bus closing under a last poll
    this.onPollError?.(err);
    const unlogged = this.pollWarnings.admit();
    if (unlogged === null) return;
    this.logger.warn({ err, stream, unloggedFailures: unlogged }, 'bus poll failed (flow credits, stream close): retrying on each poll');
  }

  private async readClosed(streamId: string): Promise<BusRunSummary | null> {
    const value = await this.bus.counters.getValue(streamKeys.closed(streamId));
    if (!value) return null;
    try {
      return JSON.parse(value) as BusRunSummary;
    } catch (cause) {
      throw new EmotionStreamError('ERR_BUS', `stream ${streamId}: unreadable summary from the broadcaster`, { cause });
    }
  }
}
