import type { FaceDataset } from './datasets/face-dataset.ts';
import type { TtaMode } from '../config/schema.ts';
import { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { resolveModelDir } from '../pipeline/models/model-registry.ts';
import { predictDataset } from './predict-dataset.ts';
import { argmaxRows } from './metrics/argmax-rows.ts';
import { EmotionStreamError } from '../common/errors.ts';

/**
 * Knowledge distillation: train towards a teacher model's class probabilities as well as the
 * labels. A teacher that sees each face in several views (test-time augmentation) is more
 * accurate than one view of itself; its soft targets carry that into a student that classifies
 * in one view, at one view's cost.
 */
export interface DistillOptions {
  /** Teacher model directory (or a model family folder: its promoted version). */
  from: string;
  /** How the teacher sees each training image. */
  tta: TtaMode;
  /** Share of the teacher in the target: target = (1 - weight) * label + weight * teacher. */
  weight: number;
}

/** The dataset with targets mixed from its own and the teacher's (count * classes) probabilities. */
export function mixTargets(ds: FaceDataset, teacher: Float32Array, weight: number): FaceDataset {
  if (teacher.length !== ds.targets.length) {
    throw new EmotionStreamError('ERR_TRAINING', `teacher predicted ${teacher.length} values for ${ds.targets.length} targets of ${ds.name}`);
  }
  if (!(weight >= 0 && weight <= 1)) throw new EmotionStreamError('ERR_USAGE', `distillation weight must be between 0 and 1, got ${weight}`);
  const targets = new Float32Array(ds.targets.length);
  for (let i = 0; i < targets.length; i++) targets[i] = (1 - weight) * ds.targets[i] + weight * teacher[i];
  return { ...ds, targets };
}

/** Predicts the training set with the teacher (in its TTA views) and mixes its probabilities into the targets. */
export async function distillTargets(ds: FaceDataset, options: DistillOptions): Promise<{ dataset: FaceDataset; teacher: string; agreement: number }> {
  const teacher = await TfjsEmotionClassifier.load(resolveModelDir(options.from));
  try {
    if (teacher.inputSize !== ds.size) {
      throw new EmotionStreamError('ERR_USAGE', `teacher ${teacher.version} takes ${teacher.inputSize}x${teacher.inputSize} faces, the dataset has ${ds.size}x${ds.size}`);
    }
    const probs = predictDataset(teacher.model, ds, { tta: options.tta });
    return { dataset: mixTargets(ds, probs, options.weight), teacher: teacher.version, agreement: labelAgreement(ds, probs) };
  } finally {
    teacher.dispose();
  }
}

/** Share of images whose teacher argmax is their label (how much the teacher contradicts the labels). */
function labelAgreement(ds: FaceDataset, probs: Float32Array): number {
  const predicted = argmaxRows(probs, ds.classes.length);
  let agree = 0;
  for (let i = 0; i < ds.count; i++) if (predicted[i] === ds.labels[i]) agree++;
  return ds.count ? agree / ds.count : 0;
}
