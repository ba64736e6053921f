import { Subject, concatMap, from, identity, type OperatorFunction, type Subscription } from 'rxjs';
import type { FrameStore } from '../frames/frame-store.ts';
import { DecodingFrameStore } from '../frames/decoding-frame-store.ts';
import { ReservedTrackIds } from '../tracking/reserved-track-ids.ts';
import type { TrackIdSource } from '../tracking/face-tracker.ts';
import { isFrameStageMsg, type ClassificationsMsg, type PipelineMsg, type StreamStartMsg } from '../messages.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { emitEvents, type EmitEventsStats } from '../stages/emit-events.ts';
import { writeVideo, type VideoSink } from '../stages/write-video.ts';
import { AnnotatedVideoWriter } from '../sinks/annotated-video-writer.ts';
import { RunStats } from '../run-stats.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { Bus, Consumer } from '../bus/transport.ts';
import { Resequencer } from './resequencer.ts';
import { decodeCheckpoint, encodeCheckpoint } from './stream-checkpoint.ts';
import { fetchFrame } from './bus-frames.ts';
import { DEFAULT_STREAM_STATE_TTL_MS, STAGE_QUEUES, TOPICS, parseEnvelope, positionOf, streamKeys, type BusEnvelope } from './bus-envelope.ts';

export interface SinkRunnerOptions {
  bus: Bus;
  /** Event sinks (the bus event publisher for gateways, a JSONL file, ...). */
  sinks: EventSink[];
  /** Most messages of one stream waiting for an earlier one; also the jobs this worker holds at once. */
  reorderWindow: number;
  /** A gap older than this is given up (its frame was lost for good) so the stream moves on. */
  gapTimeoutMs: number;
  logger?: Logger;
  /** Each frame once it went through every sink (metrics). */
  onFrame?: (msg: ClassificationsMsg) => void;
  /**
   * The ordered stages (track-emotions, annotate), run on each stream's messages in order before
   * the sinks, over this runner's frame store; `drawn` says whether a frame's stream wants it drawn.
   */
  stages?: (services: OrderedStageServices) => OperatorFunction<PipelineMsg, PipelineMsg>;
  /**
   * A stream's keys on the bus (frames done, last position emitted, its summary) vanish this long
   * after their last write (bus.streamStateTtlSeconds; default 600 s): an ended stream leaves
   * nothing for good, nor does one that never ends (its capture and sinks gone).
   */
  streamStateTtlMs?: number;
  /**
   * Every frame's pixels are fetched, not only those of streams that want an annotated video:
   * an ordered stage reads them (re-identification embeds faces from the frame).
   */
  fetchAllFrames?: boolean;
}

/** What the sink runner hands its ordered stages. */
export interface OrderedStageServices {
  frameStore: FrameStore;
  drawn: (msg: ClassificationsMsg) => boolean;
  /** Each camera's track ids, reserved on the bus so a restarted runner never repeats one. */
  trackIds: (cameraId: string) => TrackIdSource;
}

/** Progress notice on TOPICS.progress: capture turns `done` into flow credits. */
export interface StreamProgress {
  streamId: string;
  done: number;
  closed?: boolean;
}

interface Item {
  env: BusEnvelope;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface StreamState {
  reseq: Resequencer<Item>;
  trackIds: ReservedTrackIds;
  stats: RunStats;
  events: number;
  lastProgress: number;
  annotatedVideo?: string;
  video?: VideoSink;
}

/**
 * The sinks worker's runner: takes finished messages of every stream off the sink queue, puts
 * each stream back in order (parallel detectors/classifiers finish out of order), runs the
 * ordered stages (track-emotions, annotate: they need that order) and then the same emit-events
 * and write-video stages as the embedded pipeline. A job completes only after its message went
 * through every sink, so a killed sinks worker's jobs are redone; the last emitted position per
 * stream is kept on the bus, so redone jobs are not emitted twice (tracks restart after such a
 * restart, with new ids). One sinks worker per deployment (files need one writer); gateways fan out.
 */
export class SinkRunner {
  private readonly input = new Subject<PipelineMsg>();
  /** Messages in the chain by messageKey (ordered stages hand on new objects, so not by identity). */
  private readonly items = new Map<string, { item: Item; pos: number }>();
  /** The stream each camera's frames belong to now, for the ordered stages' per-camera state. */
  private readonly cameraStreams = new Map<string, StreamState>();
  private readonly streams = new Map<string, Promise<StreamState | null>>();
  private readonly local = new DecodingFrameStore();
  private readonly eventStats: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
  private readonly logger: Logger;
  private readonly outputs = new Map<StreamStartMsg, StreamState>();
  private releases: Promise<void> = Promise.resolve();
  private subscription: Subscription | undefined;
  private consumer: Consumer | undefined;
  private gapTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SinkRunnerOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ queue: STAGE_QUEUES.sink });
  }

  start(): this {
    this.subscribe();
    this.consumer = this.options.bus.queue<BusEnvelope>(STAGE_QUEUES.sink)
      // Jobs wait here for their predecessors: hold a whole window (plus start/end) at once.
      .consume((job) => this.handle(job.data), { concurrency: this.options.reorderWindow + 2 });
    this.gapTimer = setInterval(() => this.skipStaleGaps(), Math.min(1000, this.options.gapTimeoutMs)).unref();
    return this;
  }

  async stop(force = false): Promise<void> {
    clearInterval(this.gapTimer);
    await this.consumer?.close(force);
    await this.releases;
    this.subscription?.unsubscribe();
  }

  private subscribe(): void {
    const logger = this.logger;
    const stages = this.options.stages?.({
      frameStore: this.local,
      drawn: (msg) => this.items.get(messageKey(msg))?.item.env.annotate === true,
      trackIds: (cameraId) => this.trackIdsOf(cameraId),
    }) ?? identity;
    this.subscription = this.input.pipe(
      stages,
      emitEvents({ sinks: this.options.sinks, logger, stats: this.eventStats }),
      writeVideo({ frameStore: this.local, logger, open: (start) => this.openVideo(start) }),
      concatMap((msg) => from(this.finish(msg))),
    ).subscribe({
      error: (err) => {
        // write-video fails the stream when a video file cannot be written: the jobs in hand are
        // retried (and skipped as a gap if it persists); the broadcaster itself keeps going.
        logger.error({ err }, 'sink chain failed: messages in hand will be retried');
        for (const { item } of this.items.values()) item.reject(err);
        this.items.clear();
        this.subscribe();
      },
    });
  }

  private async handle(data: unknown): Promise<void> {
    const env = parseEnvelope(data);
    const pos = positionOf(env);
    const state = await this.stream(env.streamId);
    if (!state) {
      // A redone job of a stream already closed (its state is gone here): emitted once already.
      this.logger.debug({ stream: env.streamId, pos }, 'message of a closed stream: acknowledged');
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const { released, duplicate } = state.reseq.offer(pos, { env, resolve, reject });
      if (duplicate) {
        this.logger.debug({ stream: env.streamId, pos }, 'duplicate message (already emitted or waiting): acknowledged');
        resolve();
        return;
      }
      this.release(env.streamId, state, released);
    });
  }

  /**
   * Per stream state, created once; a restarted broadcaster resumes after the last emitted
   * position. Null for a stream already closed (its state was dropped at its end).
   */
  private stream(streamId: string): Promise<StreamState | null> {
    let state = this.streams.get(streamId);
    if (!state) {
      const { counters } = this.options.bus;
      state = Promise.all([counters.getValue(streamKeys.emitted(streamId)), counters.getValue(streamKeys.closed(streamId))]).then(([emitted, closed]) => {
        if (closed !== null) {
          this.streams.delete(streamId);
          return null;
        }
        // A restarted sinks worker carries on the stream's position and counts where the last one left them.
        const cp = decodeCheckpoint(streamId, emitted);
        const reseq = new Resequencer<Item>(cp ? cp.pos + 1 : -1, this.options.reorderWindow);
        reseq.lost = cp?.lost ?? 0;
        return {
          reseq, stats: cp?.stats ? RunStats.restore(cp.stats) : new RunStats(), events: cp?.events ?? 0, lastProgress: Date.now(),
          trackIds: new ReservedTrackIds((count) => counters.increment(streamKeys.trackIds(streamId), count, this.stateTtlMs)),
        };
      });
      this.streams.set(streamId, state);
    }
    return state;
  }

  private get stateTtlMs(): number {
    return this.options.streamStateTtlMs ?? DEFAULT_STREAM_STATE_TTL_MS;
  }

  private release(streamId: string, state: StreamState, released: [number, Item][]): void {
    if (released.length > 0) state.lastProgress = Date.now();
    for (const [pos, item] of released) {
      this.releases = this.releases.then(() => this.push(streamId, state, pos, item)).catch((err) => item.reject(err));
    }
  }

  /** Hands one in-order message to the sink chain (with its pixels when a video is written or a stage reads them). */
  private async push(streamId: string, state: StreamState, pos: number, item: Item): Promise<void> {
    const msg = item.env.msg;
    if (msg.kind === 'frame-dropped') {
      state.stats.dropped();
      await this.options.bus.counters.setValue(streamKeys.emitted(streamId), checkpointOf(state, pos), this.stateTtlMs);
      item.resolve();
      return;
    }
    if (msg.kind === 'stream-start') {
      state.stats.start(msg);
      state.annotatedVideo = item.env.outputs?.annotatedVideo;
      this.outputs.set(msg, state);
    }
    if (isFrameStageMsg(msg)) {
      this.cameraStreams.set(msg.meta.cameraId, state);
      await state.trackIds.ensure();
    }
    if (isFrameStageMsg(msg) && (state.annotatedVideo || this.options.fetchAllFrames)) await fetchFrame(this.options.bus, msg.meta.frameKey, this.local);
    this.items.set(messageKey(msg), { item, pos });
    this.input.next(msg);
  }

  private async finish(msg: PipelineMsg): Promise<void> {
    const key = messageKey(msg);
    const entry = this.items.get(key);
    if (!entry) return;
    this.items.delete(key);
    const { item, pos } = entry;
    const { streamId } = item.env;
    const state = await this.stream(streamId);
    if (!state) return;
    const { bus } = this.options;
    state.events += 1;
    if (msg.kind === 'classifications') {
      state.stats.frame(msg);
      this.options.onFrame?.(msg);
    }
    if (isFrameStageMsg(msg)) {
      this.local.delete(msg.meta.frameKey);
      await bus.frames.delete(msg.meta.frameKey);
    }
    await bus.counters.setValue(streamKeys.emitted(streamId), checkpointOf(state, pos), this.stateTtlMs);
    if (isFrameStageMsg(msg)) {
      const done = await bus.counters.increment(streamKeys.done(streamId), 1, this.stateTtlMs);
      await bus.topic<StreamProgress>(TOPICS.progress).publish({ streamId, done });
    }
    if (msg.kind === 'stream-end') await this.close(streamId, state, msg);
    item.resolve();
  }

  private async close(streamId: string, state: StreamState, end: PipelineMsg & { kind: 'stream-end' }): Promise<void> {
    state.stats.end(end);
    if (state.video) state.stats.videoFrames(state.video.framesWritten);
    const summary = { ...state.stats.summary({ ...this.eventStats, events: state.events }), lost: state.reseq.lost, streamId };
    const { counters } = this.options.bus;
    // The summary (capture waits for it), frames done and the last position outlive the stream
    // only until their TTL; the track id reservations go now.
    await counters.setValue(streamKeys.closed(streamId), JSON.stringify(summary), this.stateTtlMs);
    await counters.delete(streamKeys.trackIds(streamId));
    this.forget(streamId, state);
    const done = await counters.get(streamKeys.done(streamId));
    await this.options.bus.topic<StreamProgress>(TOPICS.progress).publish({ streamId, done, closed: true });
    this.logger.info({ stream: streamId, frames: summary.frames, lost: summary.lost, duplicates: state.reseq.duplicates }, 'stream closed');
  }

  /** Drops a closed stream's state here: a late redone job of it is recognised by its summary on the bus. */
  private forget(streamId: string, state: StreamState): void {
    this.streams.delete(streamId);
    for (const [camera, current] of this.cameraStreams) if (current === state) this.cameraStreams.delete(camera);
  }

  /** The track ids of the stream a camera's frames belong to now. */
  private trackIdsOf(cameraId: string): TrackIdSource {
    const state = this.cameraStreams.get(cameraId);
    if (!state) throw new Error(`no stream known for camera ${cameraId}`);
    return state.trackIds;
  }

  private async openVideo(start: StreamStartMsg): Promise<VideoSink | null> {
    const state = this.outputs.get(start);
    this.outputs.delete(start);
    if (!state?.annotatedVideo) return null;
    state.video = await AnnotatedVideoWriter.open({ outPath: state.annotatedVideo, width: start.width, height: start.height, fps: start.fps, logger: this.logger });
    return state.video;
  }

  /** Gives up on gaps nobody filled within gapTimeoutMs (a frame lost after all its retries). */
  private skipStaleGaps(): void {
    for (const [streamId, pending] of this.streams) {
      void pending.then((state) => {
        if (!state || state.reseq.pending === 0 || Date.now() - state.lastProgress < this.options.gapTimeoutMs) return;
        const before = state.reseq.lost;
        const released = state.reseq.skipGap();
        this.logger.warn({ stream: streamId, lost: state.reseq.lost - before, next: state.reseq.next }, 'frames never arrived: skipping the gap');
        this.release(streamId, state, released);
      });
    }
  }
}

/** The stream's position and counts after `pos`, as one value (see stream-checkpoint.ts). */
function checkpointOf(state: StreamState, pos: number): string {
  return encodeCheckpoint({ pos, events: state.events, lost: state.reseq.lost, stats: state.stats.checkpoint() });
}

/** A message's identity through the chain: its frame's key, or its stream's start/end. */
function messageKey(msg: PipelineMsg): string {
  switch (msg.kind) {
    case 'stream-start': return `start:${msg.cameraId}:${msg.startedAt}`;
    case 'stream-end': return `end:${msg.cameraId}:${msg.endedAt}`;
    default: return msg.meta.frameKey;
  }
}
