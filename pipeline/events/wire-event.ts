import { EMOTIONS, type BoxPx, type ClassificationsMsg, type ClassifiedFace, type Emotion, type EmotionScores } from '../messages.ts';
import type { PipelineMsg, StableEmotion, StreamEndMsg, StreamStartMsg, TrackEndEvent, TrackEvent } from '../messages.ts';
import type { CameraState, CameraStateChange } from '../cameras/camera-types.ts';

/**
 * The wire format users consume: the WebSocket broadcaster and the JSONL writer carry the same
 * objects. The pipeline produces version 2 (schema/events.v2.json); {@link toWireV1} gives the
 * version 1 form (schema/events.v1.json) that v1 clients still receive. Any change that is not
 * purely additive bumps `v`.
 */

/** Value of `schema` on every event and server message, so a consumer can tell our objects apart. */
export const WIRE_SCHEMA = 'emotion-stream/event';
/** Version of the wire format the pipeline produces (schema/events.v2.json). */
export const WIRE_VERSION = 2;
/** Every wire format version a client can ask for. */
export const WIRE_VERSIONS = [1, 2] as const;
export type WireVersion = (typeof WIRE_VERSIONS)[number];

interface WireEnvelope {
  schema: typeof WIRE_SCHEMA;
  v: typeof WIRE_VERSION;
  cameraId: string;
}

type Box = { x: number; y: number; width: number; height: number };

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

/** A track's smoothed emotion on the wire; numbers rounded like the raw ones. */
export type WireStableEmotion = StableEmotion;

/**
 * One face on a frame event; `box` is in frame pixels, (x, y) the top-left corner.
 * `label`, `confidence` and `scores` are this frame's own (raw) values; `trackId` and `stable`
 * come from the tracker when it runs.
 */
export interface WireFace {
  /** The person's id within the stream, >= 1, never reused within a stream. */
  trackId?: number;
  /** With re-identification on: the person, the same on every track of someone who left and came back. */
  personId?: number;
  box: Box;
  label: Emotion;
  /** Probability of `label`, 0..1, 4 decimals. */
  confidence: number;
  /** Probability of every class, 0..1, 4 decimals; they sum to about 1. */
  scores: EmotionScores;
  /** The track's smoothed emotion up to this frame. */
  stable?: WireStableEmotion;
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
  /** Damage capture found in the source: decode errors, presentation-time gaps, frames estimated missing in them. */
  integrity?: { decodeErrors: number; ptsGaps: number; framesMissing: number };
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

/** v2: a person appeared. `ptsMs` is the stream's presentation time (3 decimals), `box` their first box. */
export interface TrackStartWireEvent extends WireEnvelope {
  type: 'track-start';
  trackId: number;
  ptsMs: number;
  box: Box;
  /** With re-identification on: the person (a new person's id is this track's id). */
  personId?: number;
  /** Set when the person was seen before: the track they left on and how alike the faces are (cosine, 4 decimals). */
  reidentified?: { fromTrackId: number; similarity: number };
}

/** v2: a track's stable emotion changed; `confidence` is the smoothed probability of `to`. */
export interface EmotionChangeWireEvent extends WireEnvelope {
  type: 'emotion-change';
  trackId: number;
  ptsMs: number;
  from: Emotion;
  to: Emotion;
  confidence: number;
}

/**
 * v2: a person left or their stream ended: a summary of the track (the track-emotions stage's
 * TrackEndEvent, rounded). Times are presentation ms; `share` holds all seven emotions, 4 decimals.
 */
export interface TrackEndWireEvent extends WireEnvelope, Omit<TrackEndEvent, 'type'> {
  type: 'track-end';
}

/** Every event of the current version (2). */
export type WireEvent =
  | StreamStartEvent | FrameEvent | StreamEndEvent | CameraStateEvent
  | TrackStartWireEvent | EmotionChangeWireEvent | TrackEndWireEvent;
export type WireEventType = WireEvent['type'];

/**
 * The wire version that introduced each event type: a client of version `v` can receive the types
 * introduced at `v` or before. A Record, so adding an event type without a version fails to compile.
 */
export const EVENT_TYPE_SINCE: Readonly<Record<WireEventType, WireVersion>> = {
  'stream-start': 1, frame: 1, 'stream-end': 1, 'camera-state': 1,
  'track-start': 2, 'emotion-change': 2, 'track-end': 2,
};

/** Every event type, in documentation order. */
export const WIRE_EVENT_TYPES = Object.keys(EVENT_TYPE_SINCE) as WireEventType[];

/** A v1 face: no tracking fields. */
export type WireFaceV1 = Omit<WireFace, 'trackId' | 'stable'>;
type AsV1<E> = Omit<E, 'v'> & { v: 1 };
/** A version 1 event (schema/events.v1.json): what clients that did not ask for v2 receive. */
export type WireEventV1 =
  | AsV1<StreamStartEvent> | (AsV1<Omit<FrameEvent, 'faces'>> & { faces: WireFaceV1[] }) | AsV1<StreamEndEvent> | AsV1<CameraStateEvent>;

/** The wire form of a camera's state change. */
export function cameraStateEvent(change: CameraStateChange): CameraStateEvent {
  return {
    ...envelope('camera-state', change.cameraId), state: change.state, previous: change.previous,
    attempt: change.attempt, ...(change.error ? { error: { code: change.error.code, message: change.error.message } } : {}),
    ...(change.retryInMs !== undefined ? { retryInMs: Math.round(change.retryInMs) } : {}), at: change.at,
  };
}

/** Options of {@link toWireEvents}. */
export interface ToWireEventOptions {
  /** Clock for `emittedAt`, epoch ms; injected so tests and replays are deterministic. */
  now?: () => number;
}

/**
 * Turns a pipeline message into the events users see, in order: stream-start -> [stream-start];
 * classifications -> [frame, then its track events]; stream-end -> [track-end of each track
 * still open, then stream-end]; raw frames and detections -> [] (only classified frames are results).
 * Numbers are rounded so the wire stays compact.
 * @throws TypeError for a malformed message (e.g. a bad bus payload); nothing is then emitted for it.
 */
export function toWireEvents(msg: PipelineMsg, options: ToWireEventOptions = {}): WireEvent[] {
  switch (msg.kind) {
    case 'stream-start':
      return [streamStartEvent(msg)];
    case 'classifications': {
      const frame = frameEvent(msg, (options.now ?? Date.now)());
      return [frame, ...(msg.trackEvents ?? []).map((event) => trackEvent(event, msg.meta.cameraId))];
    }
    case 'stream-end':
      return [...(msg.trackEvents ?? []).map((event) => trackEndEvent(event, msg.cameraId)), streamEndEvent(msg)];
    default:
      return [];
  }
}

/**
 * The version 1 form of an event, exactly what v1 clients received before v2 existed (same keys,
 * same order), or `undefined` for the event types v1 does not have (track-start, emotion-change, track-end).
 */
export function toWireV1(event: WireEvent): WireEventV1 | undefined {
  switch (event.type) {
    case 'frame':
      return { ...event, v: 1, faces: event.faces.map(({ trackId: _id, stable: _stable, ...face }) => face) };
    case 'stream-start':
    case 'stream-end':
    case 'camera-state':
      return { ...event, v: 1 }; // spreading keeps `v` in its place, so the JSON is byte-identical
    default:
      return undefined;
  }
}

function streamStartEvent(msg: StreamStartMsg): StreamStartEvent {
  return {
    ...envelope('stream-start', msg.cameraId), source: msg.source, width: Math.round(msg.width), height: Math.round(msg.height),
    fps: round(msg.fps, 3), startedAt: Math.round(msg.startedAt),
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
    faces: msg.faces.map(wireFace),
  };
  if (msg.fault) event.fault = { stage: msg.fault.stage, code: msg.fault.code, message: msg.fault.message };
  return event;
}

function wireFace(face: ClassifiedFace): WireFace {
  const raw = { box: roundBox(face.boxPx), label: face.label, confidence: probability(face.confidence), scores: roundScores(face.scores) };
  // trackId leads so a person's id is the first thing read on each face.
  const out: WireFace = face.trackId === undefined ? raw : { trackId: face.trackId, ...(face.personId === undefined ? {} : { personId: face.personId }), ...raw };
  if (face.stable) out.stable = { label: face.stable.label, confidence: probability(face.stable.confidence), scores: roundScores(face.stable.scores) };
  return out;
}

function trackEvent(event: TrackEvent, cameraId: string): WireEvent {
  switch (event.type) {
    case 'track-start': {
      const start: TrackStartWireEvent = { ...envelope('track-start', cameraId), trackId: event.trackId, ptsMs: round(event.atMs, 3), box: roundBox(event.boxPx) };
      if (event.personId !== undefined) start.personId = event.personId;
      if (event.reidentified) start.reidentified = { fromTrackId: event.reidentified.fromTrackId, similarity: round(event.reidentified.similarity, 4) };
      return start;
    }
    case 'emotion-change':
      return {
        ...envelope('emotion-change', cameraId), trackId: event.trackId, ptsMs: round(event.atMs, 3),
        from: event.from, to: event.to, confidence: probability(event.confidence),
      };
    case 'track-end':
      return trackEndEvent(event, cameraId);
    default:
      throw new TypeError(`unknown track event type ${JSON.stringify((event as { type?: unknown }).type)}`);
  }
}

function trackEndEvent(event: TrackEndEvent, cameraId: string): TrackEndWireEvent {
  return {
    ...envelope('track-end', cameraId), trackId: event.trackId, ...(event.personId === undefined ? {} : { personId: event.personId }),
    startMs: round(event.startMs, 3), endMs: round(event.endMs, 3), durationMs: round(event.durationMs, 3),
    frames: event.frames, share: roundScores(event.share), dominant: event.dominant, meanConfidence: probability(event.meanConfidence),
  };
}

function streamEndEvent(msg: StreamEndMsg): StreamEndEvent {
  const event: StreamEndEvent = { ...envelope('stream-end', msg.cameraId), frames: msg.frames, reason: msg.reason, endedAt: Math.round(msg.endedAt) };
  if (msg.error) event.error = { code: msg.error.code, message: msg.error.message };
  if (msg.integrity) {
    const { decodeErrors, ptsGaps, framesMissing } = msg.integrity;
    event.integrity = { decodeErrors, ptsGaps, framesMissing };
  }
  return event;
}

// Builds the common head so every event starts schema, v, type, cameraId: easy to eyeball in a JSONL file.
function envelope<T extends WireEventType>(type: T, cameraId: string): WireEnvelope & { type: T } {
  return { schema: WIRE_SCHEMA, v: WIRE_VERSION, type, cameraId };
}

function roundBox(box: BoxPx): Box {
  return { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
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
