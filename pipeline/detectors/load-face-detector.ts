import type { DetectorConfig, TrackingConfig } from '../../config/schema.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { FaceDetector } from './face-detector.ts';
import { loadHaarCascadeDetector } from './haar-cascade-detector.ts';
import { TrackingFaceDetector } from './tracking-face-detector.ts';

/**
 * The face detector the config asks for: OpenCV's Haar cascade, searching every frame whole
 * (the notebook) or wrapped in detect-then-track when `fullDetectEvery` (replays) or
 * `liveFullDetectEvery` (live cameras) is above 1.
 *
 * Detect-then-track keeps its known faces with the tracker's settings (`tracking`), so a face
 * is looked for as long as its track lives.
 *
 * @throws ERR_CONFIG for invalid options; ERR_DETECTOR_LOAD when the cascade cannot be loaded.
 */
export async function loadFaceDetector(config: DetectorConfig, logger: Logger = silentLogger(), tracking?: Pick<TrackingConfig, 'maxMissedMs' | 'matchIou'>): Promise<FaceDetector> {
  const haar = await loadHaarCascadeDetector(config);
  if (config.fullDetectEvery <= 1 && config.liveFullDetectEvery <= 1) return haar;
  return new TrackingFaceDetector(haar, {
    fullEvery: config.fullDetectEvery,
    liveFullEvery: config.liveFullDetectEvery,
    maxMissedMs: tracking?.maxMissedMs,
    matchIou: tracking?.matchIou,
    onBackgroundError: (err, context) => logger.warn({ camera: context.stream, frame: context.seq, err }, 'background whole-frame face search failed'),
  });
}
