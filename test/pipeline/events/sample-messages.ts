import type {
  ClassificationsMsg,
  ClassifiedFace,
  DetectionsMsg,
  EmotionScores,
  StreamEndMsg,
  StreamStartMsg,
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
