import { concatMap, defer, from } from 'rxjs';
import type { SmoothingConfig, TrackingConfig } from '../../config/schema.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { FaceTracker, countingIds, type EndedTrack, type TrackIdSource, type TrackerUpdate } from '../tracking/face-tracker.ts';
import { EmotionSmoother } from '../tracking/emotion-smoother.ts';
import { Reidentifier } from '../tracking/reidentifier.ts';
import type { FaceEmbedder } from '../tracking/face-embedder.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { ClassificationsMsg, ClassifiedFace, PipelineMsg, Reidentification, StreamEndMsg, TrackEndEvent, TrackEvent } from '../messages.ts';
import type { Stage } from '../stage.ts';

export interface TrackEmotionsDeps {
  config: TrackingConfig;
  /** Where a camera's track ids come from (default: 1, 2, 3... for each stream). */
  trackIds?: (cameraId: string) => TrackIdSource;
  logger?: Logger;
  /** Needed when `config.reid.enabled`: the face embedding model and where the frames' pixels are. */
  reid?: { embedder: FaceEmbedder; frameStore: FrameStore };
}

/** One camera's tracks: who is where, and each person's emotion over time. */
interface StreamTracks {
  tracker: FaceTracker;
  smoothers: Map<number, EmotionSmoother>;
  smoothing: SmoothingConfig;
  /** With re-identification on: the people this camera has seen. */
  reid?: Reidentifier;
}

/** Who the faces of a frame are, by track id. */
type People = Map<number, { personId: number; reidentified?: Reidentification }>;

/** Latest looks at a track's face kept for re-identification. */
const LOOKS_PER_TRACK = 3;

/**
 * track-emotions: gives every face of a camera's `classifications` a track id (the same person
 * keeps it from frame to frame: IoU with a Kalman-predicted box, confident faces first) and the
 * track's stable emotion (class probabilities averaged over presentation time, the label moved
 * only by a sustained lead), and puts on the frame what happened to tracks there: `track-start`,
 * `emotion-change`, `track-end` (a summary of the person's time). The raw per-frame label and
 * scores stay on each face. Open tracks end with their stream (on its `stream-end`).
 *
 * With `config.reid.enabled`, faces of new tracks are compared (face embeddings) with the people
 * who left within `reid.windowMs`: each face and track event then carries a `personId`, the same
 * for a person who comes back (the track id is new: ids are never reused).
 *
 * Needs each camera's frames in order (the embedded chain; the sinks worker after its
 * resequencer on a bus). A frame with a fault is passed on untouched and ages no track: a failed
 * detection is not evidence that a person left.
 */
export const trackEmotions: Stage<TrackEmotionsDeps> = (deps) => (source) => defer(() => {
  const streams = new Map<string, StreamTracks>();
  const logger = (deps.logger ?? silentLogger()).child({ stage: 'track-emotions' });
  const reid = deps.config.reid.enabled ? deps.reid : undefined;
  if (deps.config.reid.enabled && !reid) throw new EmotionStreamError('ERR_INTERNAL', 'track-emotions: tracking.reid.enabled needs a face embedder, and none was loaded');
  const open = (cameraId: string): StreamTracks => {
    let state = streams.get(cameraId);
    if (!state) {
      const { maxMissedMs, matchIou, highScore, smoothing, reid: reidConfig } = deps.config;
      state = { tracker: new FaceTracker({ maxMissedMs, matchIou, highScore }, deps.trackIds?.(cameraId) ?? countingIds()), smoothers: new Map(), smoothing };
      if (reid) state.reid = new Reidentifier({ ...reidConfig, keepPerTrack: LOOKS_PER_TRACK });
      streams.set(cameraId, state);
    }
    return state;
  };
  const handle = async (msg: PipelineMsg): Promise<PipelineMsg> => {
    switch (msg.kind) {
      case 'stream-start':
        streams.delete(msg.cameraId); // a new stream of the camera: its tracks start afresh
        return msg;
      case 'classifications':
        return msg.fault ? msg : trackFrame(msg, open(msg.meta.cameraId), reid && { ...reid, logger });
      case 'stream-end':
        return endStream(msg, streams, logger);
      default:
        return msg;
    }
  };
  // One frame at a time, in order: a frame's tracks are the next frame's starting point.
  return source.pipe(concatMap((msg) => from(handle(msg))));
});

type ReidDeps = NonNullable<TrackEmotionsDeps['reid']> & { logger: Logger };

async function trackFrame(msg: ClassificationsMsg, state: StreamTracks, reid: ReidDeps | undefined): Promise<ClassificationsMsg> {
  const t = msg.meta.ptsMs;
  const update = state.tracker.update(msg.faces, t);
  const events: TrackEvent[] = endTracks(update.ended, state);
  const people = state.reid && reid ? await identify(msg, update, state.reid, reid) : undefined;
  const faces = msg.faces.map((face, i): ClassifiedFace => {
    const trackId = update.trackIds[i];
    const person = people?.get(trackId);
    if (update.started.includes(trackId)) {
      const start: TrackEvent = { type: 'track-start', trackId, atMs: t, boxPx: face.boxPx };
      if (person) Object.assign(start, person);
      events.push(start);
    }
    let smoother = state.smoothers.get(trackId);
    if (!smoother) state.smoothers.set(trackId, (smoother = new EmotionSmoother(state.smoothing)));
    const { stable, changed } = smoother.update(face.scores, t);
    if (changed) events.push({ type: 'emotion-change', trackId, from: changed.from, to: changed.to, atMs: t, confidence: stable.confidence });
    return person ? { ...face, trackId, personId: person.personId, stable } : { ...face, trackId, stable };
  });
  return events.length > 0 ? { ...msg, faces, trackEvents: events } : { ...msg, faces };
}

/**
 * Re-identification for one frame: embeds the faces of tracks that start here (are they someone
 * who left?) and of open tracks not embedded for `refreshMs` (how they look now), in one model
 * call. A frame whose pixels cannot be had or embedded still gets its tracks: its new tracks are
 * new people, and the looks are taken on a later frame.
 */
async function identify(msg: ClassificationsMsg, update: TrackerUpdate, people: Reidentifier, deps: ReidDeps): Promise<People> {
  const t = msg.meta.ptsMs;
  const due = update.trackIds.map((trackId, i) => ({ trackId, i })).filter(({ trackId }) => people.needsLook(trackId, t));
  let looks: Float32Array[] = [];
  if (due.length > 0) {
    try {
      const { width, height, frameKey } = msg.meta;
      looks = await deps.embedder.embed({ pixels: deps.frameStore.get(frameKey), width, height }, due.map(({ i }) => msg.faces[i].boxPx));
    } catch (err) {
      deps.logger.warn({ camera: msg.meta.cameraId, frame: msg.meta.seq, err }, 're-identification skipped on this frame: faces not embedded');
    }
  }
  const lookOf = new Map(due.map(({ trackId }, k) => [trackId, looks[k]] as const));
  const who: People = new Map();
  for (const trackId of update.trackIds) {
    const look = lookOf.get(trackId);
    if (update.started.includes(trackId)) {
      const found = people.start(trackId, look, t);
      who.set(trackId, found ? { personId: found.personId, reidentified: { fromTrackId: found.fromTrackId, similarity: found.similarity } } : { personId: trackId });
    } else {
      if (look) people.see(trackId, look, t);
      who.set(trackId, { personId: people.personOf(trackId) ?? trackId });
    }
  }
  return who;
}

function endStream(msg: StreamEndMsg, streams: Map<string, StreamTracks>, logger: Logger): StreamEndMsg {
  const state = streams.get(msg.cameraId);
  streams.delete(msg.cameraId);
  if (!state) return msg;
  const ended = endTracks(state.tracker.endAll(), state);
  logger.debug({ camera: msg.cameraId, tracks: ended.length }, 'stream ended: open tracks closed');
  return ended.length > 0 ? { ...msg, trackEvents: ended } : msg;
}

/** End events from the tracks' smoothers' summaries; the smoothers are let go. */
function endTracks(ended: EndedTrack[], state: StreamTracks): TrackEndEvent[] {
  const events: TrackEndEvent[] = [];
  for (const { trackId, lastSeenMs } of ended) {
    // Every track got its smoother on its first face, so one is always there.
    const smoother = state.smoothers.get(trackId);
    state.smoothers.delete(trackId);
    const personId = state.reid?.personOf(trackId);
    state.reid?.end(trackId, lastSeenMs);
    if (smoother) events.push({ type: 'track-end', trackId, ...(personId === undefined ? {} : { personId }), ...smoother.summary() });
  }
  return events;
}
