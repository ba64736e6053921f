import type { BackendChoice, TrackingConfig } from '../../config/schema.ts';
import { loadFaceEmbedder, type FaceEmbedder } from './face-embedder.ts';

/**
 * The face embedder re-identification needs, loaded only when it is on (tracking and
 * tracking.reid enabled). `backend` is the classifier's: tfjs has one backend per process.
 */
export async function loadReidEmbedder(tracking: TrackingConfig, backend: BackendChoice): Promise<FaceEmbedder | undefined> {
  return tracking.enabled && tracking.reid.enabled ? loadFaceEmbedder(tracking.reid.model, { backend }) : undefined;
}
