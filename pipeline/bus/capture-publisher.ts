import { concatMap, from, lastValueFrom } from 'rxjs';
import type { PipelineConfig } from '../../config/schema.ts';
import { InMemoryFrameStore } from '../frames/frame-store.ts';
import { FlowGate } from '../flow/flow-gate.ts';
import { captureFfmpeg, type CaptureDrop } from '../stages/capture-ffmpeg.ts';
import { toVideoSource } from '../compose.ts';
import { EmotionStreamError, errorMessage } from '../errors.ts';
import type { PipelineMsg } from '../messages.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { RunSummary } from '../run-stats.ts';
import type { Bus } from './transport.ts';
import { STAGE_QUEUES, TOPICS, jobId, sharedFrameKey, streamKeys, type BusEnvelope, type StageQueue } from './bus-envelope.ts';
import type { StreamProgress } from './sink-runner.ts';

export interface CapturePublisherOptions {
  bus: Bus;
  config: PipelineConfig;
  /** Frame pixels older than this vanish from the shared store (a stack that crashed mid-stream). */
  frameTtlMs: number;
  logger?: Logger;
  signal?: AbortSignal;
  onDrop?: (drop: CaptureDrop) => void;
  /** How often capture re-reads the done counter when no progress notice arrives (ms). */
  pollMs?: number;
}

export type BusRunSummary = RunSummary & { streamId: string; lost: number };

/**
 * Capture as a bus worker: decodes one source with the embedded capture stage, stores each
 * frame's pixels once in the shared frame store and puts a reference on the detect queue.
 * Backpressure crosses processes through a flow gate whose credits come back from the
 * broadcaster's per-stream done counter: replay waits for credits (nothing dropped), live drops
 * the oldest waiting frame (counted, and announced to the broadcaster so it never waits for it).
 * Resolves with the broadcaster's summary once the stream's outputs are closed.
 */
export async function runCapturePublisher(options: CapturePublisherOptions): Promise<BusRunSummary> {
  const { bus, config } = options;
  const logger = (options.logger ?? silentLogger()).child({ camera: config.cameraId, transport: bus.transport });
  const streamId = `${config.cameraId}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const gate = new FlowGate(config.maxInFlight);
  const local = new InMemoryFrameStore();
  const credits = new CreditReturn(bus, streamId, gate, options.pollMs ?? 100);
  const annotate = Boolean(config.output.annotatedVideo);
  const send = (msg: BusEnvelope['msg'], queue: StageQueue, extra: Partial<BusEnvelope> = {}) => {
    const env: BusEnvelope = { v: 1, streamId, annotate, msg, ...extra };
    return bus.queue<BusEnvelope>(queue).add(jobId(env, queue), env);
  };
  // Drop notices are sent in order, off the capture path (live capture must never wait on them).
  let notices: Promise<void> = Promise.resolve();
  // Sequence numbers used so far (frames sent and frames dropped): where stream-end goes.
  let endPosition = 0;
  const onDrop = (drop: CaptureDrop) => {
    endPosition = Math.max(endPosition, drop.seq + 1);
    options.onDrop?.(drop);
    notices = notices.then(() => send({ kind: 'frame-dropped', v: 1, cameraId: drop.cameraId, seq: drop.seq }, STAGE_QUEUES.sink))
      .catch((err) => logger.error({ err: errorMessage(err), frame: drop.seq }, 'drop notice could not be sent'));
  };
  const source = toVideoSource(config.source);
  const mode = config.mode ?? (source.type === 'file' ? 'replay' : 'live');
  await credits.start();
  try {
    const capture = captureFfmpeg({
      source, cameraId: config.cameraId, frameStore: local, gate, mode, realtime: config.realtime, resize: config.resize,
      logger, signal: options.signal, onDrop,
    });
    await lastValueFrom(capture.pipe(concatMap((msg) => from(publish(msg)))), { defaultValue: undefined });
    await notices;
    logger.info({ stream: streamId }, 'capture finished: waiting for the broadcaster to close the stream');
    return await credits.waitClosed();
  } finally {
    await credits.stop();
  }

  async function publish(msg: PipelineMsg): Promise<void> {
    if (msg.kind === 'stream-start') {
      logger.info({ stream: streamId, source: msg.source, width: msg.width, height: msg.height, fps: msg.fps }, 'stream started on the bus');
      await send(msg, STAGE_QUEUES.sink, { outputs: { annotatedVideo: config.output.annotatedVideo } });
    } else if (msg.kind === 'frame') {
      endPosition = Math.max(endPosition, msg.meta.seq + 1);
      const key = sharedFrameKey(streamId, msg.meta.seq);
      await bus.frames.put(key, local.get(msg.meta.frameKey), options.frameTtlMs);
      local.delete(msg.meta.frameKey);
      await send({ ...msg, meta: { ...msg.meta, frameKey: key } }, STAGE_QUEUES.detect);
    } else if (msg.kind === 'stream-end') {
      await notices;
      await send(msg, STAGE_QUEUES.sink, { endPosition });
    }
  }
}

/**
 * Returns flow credits to capture as the broadcaster finishes frames. The done counter is the
 * truth (a lost pub/sub notice only delays a credit until the next poll); notices just wake it.
 */
class CreditReturn {
  private returned = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private wake: (() => void) | undefined;
  private checking = false;

  constructor(private readonly bus: Bus, private readonly streamId: string, private readonly gate: FlowGate, private readonly pollMs: number) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.topic<StreamProgress>(TOPICS.progress).subscribe((p) => {
      if (p.streamId === this.streamId) void this.check();
    });
    this.timer = setInterval(() => void this.check(), this.pollMs);
  }

  /** Resolves with the broadcaster's summary once it has closed the stream's outputs. */
  async waitClosed(): Promise<BusRunSummary> {
    for (;;) {
      const summary = await this.readClosed().catch((err: unknown) => {
        if (err instanceof EmotionStreamError) throw err;
        return null; // bus briefly unreachable: ask again
      });
      if (summary) return summary;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs * 5);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const done = await this.bus.counters.get(streamKeys.done(this.streamId));
      while (this.returned < done && this.gate.inFlight > 0) {
        this.gate.release();
        this.returned += 1;
      }
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    } catch {
      // The bus is briefly unreachable (Redis restarting): the next poll tries again.
    } finally {
      this.checking = false;
    }
  }

  private async readClosed(): Promise<BusRunSummary | null> {
    const value = await this.bus.counters.getValue(streamKeys.closed(this.streamId));
    if (!value) return null;
    try {
      return JSON.parse(value) as BusRunSummary;
    } catch (cause) {
      throw new EmotionStreamError('ERR_BUS', `stream ${this.streamId}: unreadable summary from the broadcaster`, { cause });
    }
  }
}
