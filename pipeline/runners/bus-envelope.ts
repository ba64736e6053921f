import type { PipelineMsg } from '../messages.ts';
import { PoisonMessageError } from '../bus/transport.ts';

/**
 * What crosses a stage queue: one pipeline message plus the stream it belongs to. Pixels never
 * ride here: `msg.meta.frameKey` names them in the shared frame store.
 */
export interface BusEnvelope {
  v: 1;
  /** One capture run of one camera (a camera that restarts gets a new stream id). */
  streamId: string;
  /** Someone wants the frames drawn (an annotated video): the sinks worker annotates and keeps the pixels. */
  annotate: boolean;
  msg: PipelineMsg | FrameDroppedMsg;
  /** stream-start only: outputs the broadcaster opens for this stream. */
  outputs?: { annotatedVideo?: string };
  /**
   * stream-end only: sequence numbers the stream used (frames sent plus frames dropped). Live
   * capture numbers dropped frames too, so this can exceed the end's `frames` count.
   */
  endPosition?: number;
}

/** Live capture dropped frame `seq` before it entered the bus: the broadcaster must not wait for it. */
export interface FrameDroppedMsg {
  kind: 'frame-dropped';
  v: 1;
  cameraId: string;
  seq: number;
}

/**
 * The queues of the stage graph, in flow order. Control messages go straight to `sink`; the
 * ordered stages (track-emotions, annotate) run in the sinks worker.
 */
export const STAGE_QUEUES = { detect: 'detect', classify: 'classify', sink: 'sink' } as const;
export type StageQueue = (typeof STAGE_QUEUES)[keyof typeof STAGE_QUEUES];

/** Topics: wire events for gateways; per-stream progress for capture's flow credits. */
export const TOPICS = { events: 'events', progress: 'progress', models: 'models' } as const;

/** Shared-store key of a frame's pixels. */
export function sharedFrameKey(streamId: string, seq: number): string {
  return `${streamId}/${seq}`;
}

/** Job id of a message on a queue: stable, so an upstream retry re-adding it is deduplicated. */
export function jobId(env: BusEnvelope, queue: StageQueue): string {
  return `${env.streamId}/${positionOf(env)}/${queue}`;
}

/**
 * A message's place in its stream for re-sequencing: stream-start -1, frames (and drop notices)
 * their seq, stream-end after every sequence number the stream used.
 */
export function positionOf(env: BusEnvelope): number {
  const msg = env.msg;
  switch (msg.kind) {
    case 'stream-start': return -1;
    case 'stream-end': return env.endPosition ?? msg.frames;
    case 'frame-dropped': return msg.seq;
    default: return msg.meta.seq;
  }
}

/** Counter and value names kept per stream. */
/** How long a stream's keys outlive their last write when the caller names no TTL (bus.streamStateTtlSeconds' default). */
export const DEFAULT_STREAM_STATE_TTL_MS = 600_000;

export const streamKeys = {
  /** Frames the sinks have finished (capture turns these into flow credits). */
  done: (streamId: string) => `stream:${streamId}:done`,
  /** Last position the broadcaster emitted (survives a broadcaster restart: no duplicates). */
  emitted: (streamId: string) => `stream:${streamId}:emitted`,
  /** Track ids reserved for the stream (blocks, so a restarted sinks worker never repeats one). */
  trackIds: (streamId: string) => `stream:${streamId}:track-ids`,
  /** Set once stream-end went through every sink and the outputs are closed: a JSON summary. */
  closed: (streamId: string) => `stream:${streamId}:closed`,
  /** The camera's stream that has no stream-end yet (open-stream-marker.ts). */
  openStream: (cameraId: string) => `camera:${cameraId}:open-stream`,
};

const KINDS = new Set(['stream-start', 'stream-end', 'frame', 'detections', 'classifications', 'frame-dropped']);

/** Checks what arrived off a queue; anything else is poison (never retried, logged with its job). */
export function parseEnvelope(data: unknown): BusEnvelope {
  const env = data as Partial<BusEnvelope> | null;
  if (!env || typeof env !== 'object' || env.v !== 1) throw new PoisonMessageError(`not a v1 bus envelope: ${preview(data)}`);
  if (typeof env.streamId !== 'string' || !env.streamId) throw new PoisonMessageError(`bus envelope without streamId: ${preview(data)}`);
  const msg = env.msg as { kind?: unknown; v?: unknown; meta?: { frameKey?: unknown; seq?: unknown } } | undefined;
  if (!msg || typeof msg.kind !== 'string' || !KINDS.has(msg.kind) || msg.v !== 1) throw new PoisonMessageError(`bus envelope with an unknown message: ${preview(data)}`);
  if (['frame', 'detections', 'classifications'].includes(msg.kind) && (typeof msg.meta?.frameKey !== 'string' || !Number.isInteger(msg.meta?.seq))) {
    throw new PoisonMessageError(`frame message without frameKey/seq: ${preview(data)}`);
  }
  if (env.endPosition !== undefined && (!Number.isInteger(env.endPosition) || env.endPosition < 0)) {
    throw new PoisonMessageError(`bus envelope with a bad endPosition: ${preview(data)}`);
  }
  return env as BusEnvelope;
}

function preview(data: unknown): string {
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
