import type {
  ClassificationsMsg,
  ClassifiedFace,
  DetectionsMsg,
  EmotionScores,
  StableEmotion,
  StreamEndMsg,
  StreamStartMsg,
  TrackEndEvent,
  TrackEvent,
} from '../../../pipeline/messages.ts';

/**
 * Realistic pipeline messages for event tests: what capture and classify-emotion emit for a
 * 640x480 camera, with float32-looking scores that need rounding.
 */

export const T0 = Date.UTC(2025, 4, 17, 9, 30, 0, 0);

export function streamStart(cameraId = 'cam1'): StreamStartMsg {
  return { kind: 'stream-start', v: 1, cameraId, source: '/videos/lobby.mp4', width: 640, height: 480, fps: 29.97002997, startedAt: T0 };
}

export function streamEnd(cameraId = 'cam1', frames = 3): StreamEndMsg {
  return { kind: 'stream-end', v: 1, cameraId, frames, reason: 'eof', endedAt: T0 + 5000 };
}

const HAPPY: EmotionScores = {
  angry: 0.0123456789,
  disgust: 0.0008123,
  fear: 0.0211,
  happy: 0.8712345678,
  neutral: 0.0623412,
  sad: 0.0121,
  surprise: 0.0200562533,
};

const SAD: EmotionScores = { angry: 0.05, disgust: 0.01, fear: 0.1, happy: 0.02, neutral: 0.2, sad: 0.6000000238, surprise: 0.02 };

export function face(label: 'happy' | 'sad' = 'happy', x = 101.4): ClassifiedFace {
  const scores = label === 'happy' ? HAPPY : SAD;
  return { boxPx: { x, y: 88, width: 120, height: 121 }, label, confidence: scores[label], scores: { ...scores } };
}

/** The classified result for frame `seq` of `cameraId`, captured 1/30 s apart. */
export function classifications(seq: number, cameraId = 'cam1', faces: ClassifiedFace[] = [face(), face('sad', 402)]): ClassificationsMsg {
  return {
    kind: 'classifications',
    v: 1,
    meta: {
      cameraId,
      seq,
      ptsMs: seq * 33.3666666,
      capturedAt: T0 + 100 + seq * 33.3666666,
      width: 640,
      height: 480,
      frameKey: `${cameraId}:${seq}`,
    },
    faces,
    modelVersion: 'fer2013-cnn@1.2.0',
    timings: { detect: 12.5, classify: 7.25 },
  };
}

/** A frame on which classification failed: no faces, the fault rides on the message. */
export function faultedClassifications(seq: number, cameraId = 'cam1'): ClassificationsMsg {
  return {
    ...classifications(seq, cameraId, []),
    fault: { stage: 'classify-emotion', code: 'ERR_CLASSIFY', message: 'tensor shape [1,47,48,1] does not match [1,48,48,1]' },
  };
}

export function detections(seq: number, cameraId = 'cam1'): DetectionsMsg {
  const { meta } = classifications(seq, cameraId);
  return { kind: 'detections', v: 1, meta, faces: [{ boxPx: { x: 1, y: 2, width: 30, height: 30 } }], timings: { detect: 10 } };
}

/** A track's smoothed emotion as track-emotions puts it on a face, with float32-looking numbers. */
export function stable(label: 'happy' | 'neutral' = 'neutral'): StableEmotion {
  const scores = label === 'happy' ? { ...HAPPY } : { angry: 0.02, disgust: 0.00512, fear: 0.03, happy: 0.3012345, neutral: 0.5512345678, sad: 0.0724, surprise: 0.0200309 };
  return { label, confidence: scores[label], scores };
}

/** `msg` as track-emotions leaves it: each face with a track id (1, 2, ...) and a stable emotion, plus `trackEvents`. */
export function tracked(msg: ClassificationsMsg, trackEvents?: TrackEvent[]): ClassificationsMsg {
  const faces = msg.faces.map((f, i) => ({ ...f, trackId: i + 1, stable: stable(i === 0 ? 'neutral' : 'happy') }));
  return trackEvents ? { ...msg, faces, trackEvents } : { ...msg, faces };
}

/** The summary of a track that lasted from 100 ms to 1433.3 ms of presentation time. */
export function trackEnd(trackId: number): TrackEndEvent {
  return {
    type: 'track-end',
    trackId,
    startMs: 100.1000001,
    endMs: 1433.3666666,
    durationMs: 1333.2666665,
    frames: 40,
    share: { angry: 0, disgust: 0, fear: 0, happy: 0.2500000119, neutral: 0.7499999881, sad: 0, surprise: 0 },
    dominant: 'neutral',
    meanConfidence: 0.6612345,
  };
}

/** Frame `seq` on which person 1 appears, person 2's stable emotion turns happy and person 3 leaves. */
export function trackedWithEvents(seq: number, cameraId = 'cam1'): ClassificationsMsg {
  const msg = classifications(seq, cameraId);
  const atMs = msg.meta.ptsMs;
  return tracked(msg, [
    { type: 'track-start', trackId: 1, atMs, boxPx: { x: 101.4, y: 88, width: 120, height: 121 } },
    { type: 'emotion-change', trackId: 2, from: 'neutral', to: 'happy', atMs, confidence: 0.6400001 },
    trackEnd(3),
  ]);
}

/** A stream that ended with tracks 1 and 2 still open. */
export function streamEndWithTracks(cameraId = 'cam1', frames = 3): StreamEndMsg {
  return { ...streamEnd(cameraId, frames), trackEvents: [trackEnd(1), trackEnd(2)] };
}
