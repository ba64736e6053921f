import type { Emotion } from '../messages.ts';
import type { CameraStateEvent, FrameEvent, WireEvent, WireEventType } from '../events/wire-event.ts';
import type { MqttTopics } from './mqtt-topics.ts';

type CameraState = CameraStateEvent['state'];

/**
 * One MQTT message to publish. `state` messages describe the present (the latest one per topic is
 * all that matters, so they may be coalesced while the broker is away); `event` messages tell
 * what happened and each one counts.
 */
export interface MqttMessage {
  kind: 'state' | 'event';
  topic: string;
  /** JSON, or '' to clear a retained state. */
  payload: string;
  retain: boolean;
}

/** A camera's retained state: `live`/`ended`/`error` from its stream, or a managed camera's state. */
export interface CameraStatePayload {
  cameraId: string;
  state: 'ended' | CameraState;
  /** ended/error: why the stream stopped (eof, stopped, error); camera-state: the previous state. */
  reason?: string;
  previous?: CameraState;
  error?: { code: string; message: string };
  source?: string;
  /** People (open tracks) in view now. */
  people: number;
  /** Epoch ms of the change. */
  at: number;
}

/** A person's retained state: their track's stable emotion and when they were last seen. */
export interface PersonStatePayload {
  cameraId: string;
  trackId: number;
  personId?: number;
  emotion: Emotion;
  /** Smoothed probability of `emotion`, 0..1. */
  confidence: number;
  /** Epoch ms of the frame the track started on. */
  since: number;
  /** Epoch ms (capture time) of the latest frame the person was on, and the same as ISO 8601. */
  lastSeen: number;
  lastSeenIso: string;
  /** Presentation time of that frame within the stream, ms. */
  lastSeenPtsMs: number;
}

export interface MqttMessagesOptions {
  topics: MqttTopics;
  /** Retain camera and person state. */
  retain: boolean;
  /** Event types that go to `<prefix>/<camera>/events`. */
  eventTypes: readonly WireEventType[];
  /** Least capture time between two publications of an unchanged person state, ms. */
  personStateIntervalMs: number;
}

interface TrackState {
  emotion: Emotion;
  /** Epoch ms of the track's first frame. */
  since: number;
  /** Capture time of the frame whose state was published last. */
  publishedAt: number;
}

interface CameraMemory {
  state: Omit<CameraStatePayload, 'people'>;
  tracks: Map<number, TrackState>;
}

/**
 * Turns wire events, in order, into the MQTT messages of docs/mqtt.md. It remembers, per camera,
 * the last state and the open tracks (forgotten when the stream ends), so person states can be
 * published on change and at most every `personStateIntervalMs` instead of on every frame.
 */
export class MqttMessages {
  private readonly cameras = new Map<string, CameraMemory>();
  private readonly eventTypes: ReadonlySet<WireEventType>;

  constructor(private readonly options: MqttMessagesOptions) {
    this.eventTypes = new Set(options.eventTypes);
  }

  /** The messages for one event, in publication order. */
  messagesFor(event: WireEvent): MqttMessage[] {
    const out: MqttMessage[] = [];
    if (this.eventTypes.has(event.type)) out.push({ kind: 'event', topic: this.options.topics.cameraEvents(event.cameraId), payload: JSON.stringify(event), retain: false });
    switch (event.type) {
      case 'stream-start':
        this.camera(event.cameraId).tracks.clear();
        out.push(this.setCamera(event.cameraId, { cameraId: event.cameraId, state: 'live', source: event.source, at: event.startedAt }));
        break;
      case 'frame':
        out.push(...this.frame(event));
        break;
      case 'track-end':
        out.push(...this.endTracks(event.cameraId, [event.trackId]));
        break;
      case 'stream-end': {
        // toWireEvents sends the track-end of every open track first; a stream cut short may not have.
        const memory = this.camera(event.cameraId);
        out.push(...this.endTracks(event.cameraId, [...memory.tracks.keys()], false));
        const state = event.reason === 'error' ? 'error' : 'ended';
        out.push(this.setCamera(event.cameraId, { cameraId: event.cameraId, state, reason: event.reason, ...(event.error ? { error: event.error } : {}), at: event.endedAt }));
        this.cameras.delete(event.cameraId);
        break;
      }
      case 'camera-state':
        out.push(this.setCamera(event.cameraId, {
          cameraId: event.cameraId, state: event.state, previous: event.previous, ...(event.error ? { error: event.error } : {}), at: event.at,
        }));
        break;
      default:
        break;
    }
    return out;
  }

  private frame(event: FrameEvent): MqttMessage[] {
    const memory = this.camera(event.cameraId);
    const out: MqttMessage[] = [];
    let arrived = false;
    for (const face of event.faces) {
      if (face.trackId === undefined) continue; // tracking off: frames only, no people
      const emotion = face.stable?.label ?? face.label;
      const confidence = face.stable?.confidence ?? face.confidence;
      const known = memory.tracks.get(face.trackId);
      if (known && known.emotion === emotion && event.capturedAt - known.publishedAt < this.options.personStateIntervalMs) continue;
      if (!known) arrived = true;
      const since = known?.since ?? event.capturedAt;
      const payload: PersonStatePayload = {
        cameraId: event.cameraId, trackId: face.trackId, ...(face.personId === undefined ? {} : { personId: face.personId }),
        emotion, confidence, since, lastSeen: event.capturedAt, lastSeenIso: event.capturedAtIso, lastSeenPtsMs: event.ptsMs,
      };
      memory.tracks.set(face.trackId, { emotion, since, publishedAt: event.capturedAt });
      out.push(this.state(this.options.topics.personState(event.cameraId, face.trackId), JSON.stringify(payload)));
    }
    if (arrived) out.push(this.cameraMessage(event.cameraId));
    return out;
  }

  /** Clears each track's retained state (an empty retained message deletes it at the broker). */
  private endTracks(cameraId: string, trackIds: number[], updateCamera = true): MqttMessage[] {
    const memory = this.camera(cameraId);
    const out = trackIds.map((trackId) => {
      memory.tracks.delete(trackId);
      return this.state(this.options.topics.personState(cameraId, trackId), '');
    });
    if (updateCamera && trackIds.length) out.push(this.cameraMessage(cameraId));
    return out;
  }

  private setCamera(cameraId: string, state: Omit<CameraStatePayload, 'people'>): MqttMessage {
    this.camera(cameraId).state = state;
    return this.cameraMessage(cameraId);
  }

  /** The camera's state with the current head count (`at` stays the time the state began). */
  private cameraMessage(cameraId: string): MqttMessage {
    const memory = this.camera(cameraId);
    const payload: CameraStatePayload = { ...memory.state, people: memory.tracks.size };
    return this.state(this.options.topics.cameraState(cameraId), JSON.stringify(payload));
  }

  private camera(cameraId: string): CameraMemory {
    let memory = this.cameras.get(cameraId);
    if (!memory) {
      // A camera first heard of mid-stream (a sinks worker restarted): live until told otherwise.
      memory = { state: { cameraId, state: 'live', at: Date.now() }, tracks: new Map() };
      this.cameras.set(cameraId, memory);
    }
    return memory;
  }

  private state(topic: string, payload: string): MqttMessage {
    return { kind: 'state', topic, payload, retain: this.options.retain };
  }
}
