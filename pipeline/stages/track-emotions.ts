import { defer, map } from 'rxjs';
import type { SmoothingConfig, TrackingConfig } from '../../config/schema.ts';
import { FaceTracker, countingIds, type EndedTrack, type TrackIdSource } from '../tracking/face-tracker.ts';
import { EmotionSmoother } from '../tracking/emotion-smoother.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { ClassificationsMsg, ClassifiedFace, PipelineMsg, StreamEndMsg, TrackEndEvent, TrackEvent } from '../messages.ts';
import type { Stage } from '../stage.ts';

export interface TrackEmotionsDeps {
  config: TrackingConfig;
  /** Where a camera's track ids come from (default: 1, 2, 3... for each stream). */
  trackIds?: (cameraId: string) => TrackIdSource;
  logger?: Logger;
}

/** One camera's tracks: who is where, and each person's emotion over time. */
interface StreamTracks {
  tracker: FaceTracker;
  smoothers: Map<number, EmotionSmoother>;
  smoothing: SmoothingConfig;
}

/**
 * track-emotions: gives every face of a camera's `classifications` a track id (the same person
 * keeps it from frame to frame: IoU with a Kalman-predicted box, confident faces first) and the
 * track's stable emotion (class probabilities averaged over presentation time, the label moved
 * only by a sustained lead), and puts on the frame what happened to tracks there: `track-start`,
 * `emotion-change`, `track-end` (a summary of the person's time). The raw per-frame label and
 * scores stay on each face. Open tracks end with their stream (on its `stream-end`).
 *
 * Needs each camera's frames in order (the embedded chain; the sinks worker after its
 * resequencer on a bus). A frame with a fault is passed on untouched and ages no track: a failed
 * detection is not evidence that a person left.
 */
export const trackEmotions: Stage<TrackEmotionsDeps> = (deps) => (source) => defer(() => {
  const streams = new Map<string, StreamTracks>();
  const logger = (deps.logger ?? silentLogger()).child({ stage: 'track-emotions' });
  const open = (cameraId: string): StreamTracks => {
    let state = streams.get(cameraId);
    if (!state) {
      const { maxMissedMs, matchIou, highScore } = deps.config;
      state = { tracker: new FaceTracker({ maxMissedMs, matchIou, highScore }, deps.trackIds?.(cameraId) ?? countingIds()), smoothers: new Map(), smoothing: deps.config.smoothing };
      streams.set(cameraId, state);
    }
    return state;
  };
  return source.pipe(map((msg: PipelineMsg): PipelineMsg => {
    switch (msg.kind) {
      case 'stream-start':
        streams.delete(msg.cameraId); // a new stream of the camera: its tracks start afresh
        return msg;
      case 'classifications':
        return msg.fault ? msg : trackFrame(msg, open(msg.meta.cameraId));
      case 'stream-end':
        return endStream(msg, streams, logger);
      default:
        return msg;
    }
  }));
});

function trackFrame(msg: ClassificationsMsg, state: StreamTracks): ClassificationsMsg {
  const t = msg.meta.ptsMs;
  const update = state.tracker.update(msg.faces, t);
  const events: TrackEvent[] = endTracks(update.ended, state);
  const faces = msg.faces.map((face, i): ClassifiedFace => {
    const trackId = update.trackIds[i];
    if (update.started.includes(trackId)) events.push({ type: 'track-start', trackId, atMs: t, boxPx: face.boxPx });
    let smoother = state.smoothers.get(trackId);
    if (!smoother) state.smoothers.set(trackId, (smoother = new EmotionSmoother(state.smoothing)));
    const { stable, changed } = smoother.update(face.scores, t);
    if (changed) events.push({ type: 'emotion-change', trackId, from: changed.from, to: changed.to, atMs: t, confidence: stable.confidence });
    return { ...face, trackId, stable };
  });
  return events.length > 0 ? { ...msg, faces, trackEvents: events } : { ...msg, faces };
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
  for (const { trackId } of ended) {
    // Every track got its smoother on its first face, so one is always there.
    const smoother = state.smoothers.get(trackId);
    state.smoothers.delete(trackId);
    if (smoother) events.push({ type: 'track-end', trackId, ...smoother.summary() });
  }
  return events;
}
