import {
  EMOTIONS,
  type ClassificationsMsg,
  type Emotion,
  type EmotionScores,
  type PipelineMsg,
  type StreamEndMsg,
  type StreamStartMsg,
} from '../messages.ts';
import type { CameraState, CameraStateChange } from '../cameras/camera-types.ts';

/**
 * The wire format users consume: the WebSocket broadcaster and the JSONL writer carry the same
 * objects. The contract is schema/events.v1.json; any change that is not purely additive bumps `v`.
 */

/** Value of `schema` on every event and server message, so a consumer can tell our objects apart. */
export const WIRE_SCHEMA = 'emotion-stream/event';
/** Version of the wire format described by schema/events.v1.json. */
export const WIRE_VERSION = 1;

interface WireEnvelope {
  schema: typeof WIRE_SCHEMA;
  v: typeof WIRE_VERSION;
  cameraId: string;
}

/** A camera started delivering frames. Times are epoch milliseconds. */
export interface StreamStartEvent extends WireEnvelope {
  type: 'stream-start';
  source: string;
  width: number;
  height: number;
  /** Nominal frames per second of the source, 3 decimals (29.97). */
  fps: number;
  startedAt: number;
}

/** One face on a frame event; `box` is in frame pixels, (x, y) the top-left corner. */
export interface WireFace {
  box: { x: number; y: number; width: number; height: number };
  label: Emotion;
  /** Probability of `label`, 0..1, 4 decimals. */
  confidence: number;
  /** Probability of every class, 0..1, 4 decimals; they sum to about 1. */
  scores: EmotionScores;
}

/** One processed frame. `emittedAt - capturedAt` is the capture-to-event latency in ms. */
export interface FrameEvent extends WireEnvelope {
  type: 'frame';
  seq: number;
  /** Presentation time within the source, ms from its first frame, 3 decimals. */
  ptsMs: number;
  capturedAt: number;
  capturedAtIso: string;
  emittedAt: number;
  modelVersion: string;
  frameWidth: number;
  frameHeight: number;
  faces: WireFace[];
  /** Present when a stage failed on this frame; `faces` then holds what was found before the failure. */
  fault?: { stage: string; code: string; message: string };
}

/** A camera stopped: end of file, an error, or a requested stop. */
export interface StreamEndEvent extends WireEnvelope {
  type: 'stream-end';
  /** Frames emitted by capture for this stream. */
  frames: number;
  reason: 'eof' | 'error' | 'stopped';
  error?: { code: string; message: string };
  endedAt: number;
}

/** A managed camera changed state (connecting, live, stalled, reconnecting, error, stopped). */
export interface CameraStateEvent extends WireEnvelope {
  type: 'camera-state';
  state: CameraState;
  previous: CameraState;
  attempt: number;
  error?: { code: string; message: string };
  retryInMs?: number;
  at: number;
}

export type WireEvent = StreamStartEvent | FrameEvent | StreamEndEvent | CameraStateEvent;
export type WireEventType = WireEvent['type'];

/** The wire form of a camera's state change. */
export function cameraStateEvent(change: CameraStateChange): CameraStateEvent {
  return {
    schema: WIRE_SCHEMA, v: WIRE_VERSION, type: 'camera-state', cameraId: change.cameraId, state: change.state, previous: change.previous,
    attempt: change.attempt, ...(change.error ? { error: { code: change.error.code, message: change.error.message } } : {}),
    ...(change.retryInMs !== undefined ? { retryInMs: Math.round(change.retryInMs) } : {}), at: change.at,
  };
}

/** Options of {@link toWireEvent}. */
export interface ToWireEventOptions {
  /** Clock for `emittedAt`, epoch ms; injected so tests and replays are deterministic. */
  now?: () => number;
}

/**
 * Turns a pipeline message into the event users see, or `undefined` for kinds that are not
 * published (raw frames and detections: only classified frames are results).
 * Never throws for a well-typed message; numbers are rounded so the wire stays compact.
 */
export function toWireEvent(msg: PipelineMsg, options: ToWireEventOptions = {}): WireEvent | undefined {
  switch (msg.kind) {
    case 'stream-start':
      return streamStartEvent(msg);
    case 'classifications':
      return frameEvent(msg, (options.now ?? Date.now)());
    case 'stream-end':
      return streamEndEvent(msg);
    default:
      return undefined;
  }
}

function streamStartEvent(msg: StreamStartMsg): StreamStartEvent {
  return {
    ...envelope('stream-start', msg.cameraId),
    source: msg.source,
    width: Math.round(msg.width),
    height: Math.round(msg.height),
    fps: round(msg.fps, 3),
    startedAt: Math.round(msg.startedAt),
  };
}

function frameEvent(msg: ClassificationsMsg, now: number): FrameEvent {
  const { meta } = msg;
  const capturedAt = Math.round(meta.capturedAt);
  const event: FrameEvent = {
    ...envelope('frame', meta.cameraId),
    seq: meta.seq,
    ptsMs: round(meta.ptsMs, 3),
    capturedAt,
    capturedAtIso: new Date(capturedAt).toISOString(),
    emittedAt: Math.round(now),
    modelVersion: msg.modelVersion,
    frameWidth: meta.width,
    frameHeight: meta.height,
    faces: msg.faces.map((face) => ({
      box: {
        x: Math.round(face.boxPx.x),
        y: Math.round(face.boxPx.y),
        width: Math.round(face.boxPx.width),
        height: Math.round(face.boxPx.height),
      },
      label: face.label,
      confidence: probability(face.confidence),
      scores: roundScores(face.scores),
    })),
  };
  if (msg.fault) event.fault = { stage: msg.fault.stage, code: msg.fault.code, message: msg.fault.message };
  return event;
}

function streamEndEvent(msg: StreamEndMsg): StreamEndEvent {
  const event: StreamEndEvent = {
    ...envelope('stream-end', msg.cameraId),
    frames: msg.frames,
    reason: msg.reason,
    endedAt: Math.round(msg.endedAt),
  };
  if (msg.error) event.error = { code: msg.error.code, message: msg.error.message };
  return event;
}

// Builds the common head so every event starts schema, v, type, cameraId: easy to eyeball in a JSONL file.
function envelope<T extends WireEventType>(type: T, cameraId: string): WireEnvelope & { type: T } {
  return { schema: WIRE_SCHEMA, v: WIRE_VERSION, type, cameraId };
}

// Builds a fresh object in EMOTIONS order so key order on the wire is stable whatever the classifier produced.
function roundScores(scores: EmotionScores): EmotionScores {
  const out = {} as EmotionScores;
  for (const emotion of EMOTIONS) out[emotion] = probability(scores[emotion]);
  return out;
}

// Softmax outputs can land a hair outside 0..1 in float32; clamping keeps every event schema-valid.
function probability(value: number): number {
  return round(Math.min(1, Math.max(0, value)), 4);
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
