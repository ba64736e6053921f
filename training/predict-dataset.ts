import * as tf from '@tensorflow/tfjs';
import type { FaceDataset } from './datasets/face-dataset.ts';
import type { EvaluationMetrics } from './evaluation-result.ts';
import { computeMetrics } from './metrics/classification-metrics.ts';
import { argmaxRows } from './metrics/argmax-rows.ts';

/**
 * Class probabilities for every image of a dataset (count * classes), in batches, with the
 * notebook's preprocessing (/255). `flipTta` averages the prediction of each image and its
 * horizontal mirror (test-time augmentation).
 */
export function predictDataset(model: tf.LayersModel, ds: FaceDataset, options: { batchSize?: number; flipTta?: boolean } = {}): Float32Array {
  const batchSize = options.batchSize ?? 256;
  const classes = ds.classes.length;
  const px = ds.size * ds.size;
  const out = new Float32Array(ds.count * classes);
  for (let start = 0; start < ds.count; start += batchSize) {
    const n = Math.min(batchSize, ds.count - start);
    const probs = tf.tidy(() => {
      const bytes = ds.pixels.subarray(start * px, (start + n) * px);
      const x = tf.div(tf.tensor4d(Float32Array.from(bytes), [n, ds.size, ds.size, 1]), 255);
      const p = model.predict(x) as tf.Tensor;
      return options.flipTta ? tf.div(tf.add(p, model.predict(tf.reverse(x, 2)) as tf.Tensor), 2) : p;
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
export function scoreDataset(model: tf.LayersModel, ds: FaceDataset, options: { flipTta?: boolean } = {}): { probs: Float32Array; metrics: EvaluationMetrics } {
  const probs = predictDataset(model, ds, options);
  return { probs, metrics: computeMetrics(ds.labels, argmaxRows(probs, ds.classes.length), ds.classes) };
}
