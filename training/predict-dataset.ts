import * as tf from '@tensorflow/tfjs';
import type { FaceDataset } from './datasets/face-dataset.ts';
import type { EvaluationMetrics } from '../pipeline/models/evaluation-result.ts';
import { computeMetrics } from './metrics/classification-metrics.ts';
import { argmaxRows } from './metrics/argmax-rows.ts';
import { predictWithTta, ttaViewCount } from '../pipeline/classifiers/test-time-augmentation.ts';
import type { TtaMode } from '../config/schema.ts';

/**
 * Class probabilities for every image of a dataset (count * classes), in batches, with the
 * notebook's preprocessing (/255), averaged over the test-time augmentation views of `tta`
 * (the pipeline's classifier does the same).
 */
export function predictDataset(model: tf.LayersModel, ds: FaceDataset, options: { batchSize?: number; tta?: TtaMode } = {}): Float32Array {
  // Each image becomes ttaViewCount views inside one predict: keep that batch's memory flat.
  const batchSize = options.batchSize ?? Math.max(16, Math.floor(256 / ttaViewCount(options.tta ?? 'none')));
  const classes = ds.classes.length;
  const px = ds.size * ds.size;
  const out = new Float32Array(ds.count * classes);
  for (let start = 0; start < ds.count; start += batchSize) {
    const n = Math.min(batchSize, ds.count - start);
    const probs = tf.tidy(() => {
      const bytes = ds.pixels.subarray(start * px, (start + n) * px);
      const x = tf.div(tf.tensor4d(Float32Array.from(bytes), [n, ds.size, ds.size, 1]), 255);
      return predictWithTta(model, x as tf.Tensor4D, options.tta ?? 'none');
    });
    out.set(probs.dataSync() as Float32Array, start * classes);
    probs.dispose();
  }
  return out;
}

/** Mean categorical cross-entropy of predictions against the dataset's targets. */
export function crossEntropy(probs: Float32Array, ds: FaceDataset): number {
  let sum = 0;
  for (let i = 0; i < probs.length; i++) if (ds.targets[i] > 0) sum -= ds.targets[i] * Math.log(Math.max(probs[i], 1e-7));
  return sum / Math.max(1, ds.count);
}

/** Predicts every image of a labelled dataset and scores the argmax predictions against its labels. */
export function scoreDataset(model: tf.LayersModel, ds: FaceDataset, options: { tta?: TtaMode } = {}): { probs: Float32Array; metrics: EvaluationMetrics } {
  const probs = predictDataset(model, ds, options);
  return { probs, metrics: computeMetrics(ds.labels, argmaxRows(probs, ds.classes.length), ds.classes) };
}
