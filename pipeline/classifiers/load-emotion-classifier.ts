import type { ClassifierConfig } from '../../config/schema.ts';
import { initTfBackend } from '../models/tf-backend.ts';
import { resolveModelDir, shippedModelFamily } from '../models/model-registry.ts';
import { TfjsEmotionClassifier } from './tfjs-emotion-classifier.ts';

export interface LoadedEmotionClassifier {
  classifier: TfjsEmotionClassifier;
  /** The tfjs backend it runs on ('tensorflow', 'wasm' or 'cpu'). */
  backend: string;
}

/**
 * The emotion classifier the config asks for: the tfjs backend chosen first, then the model from
 * `modelDir` (a version directory, or a family folder: its promoted version, else the newest),
 * by default the shipped models/emotion family, with the configured test-time augmentation.
 *
 * @throws ERR_MODEL_LOAD when no model can be read there; ERR_MODEL_INVALID when it does not fit
 *   the pipeline (classes, input shape); ERR_CONFIG for a backend that does not load.
 */
export async function loadEmotionClassifier(config: ClassifierConfig): Promise<LoadedEmotionClassifier> {
  const backend = await initTfBackend(config.backend);
  const classifier = await TfjsEmotionClassifier.load(resolveModelDir(config.modelDir ?? shippedModelFamily()), { tta: config.tta });
  return { classifier, backend };
}
