import * as tf from '@tensorflow/tfjs';
import { seededPermutation } from './seeded-shuffle.ts';

export interface RecalibrationData {
  /** count * size * size grayscale bytes, image after image. */
  pixels: Uint8Array;
  size: number;
  count: number;
}

interface BatchNormLike {
  momentum: number;
  getWeights(): tf.Tensor[];
  setWeights(w: tf.Tensor[]): void;
}

/**
 * Recomputes every BatchNorm layer's moving mean and variance from `images` images of `data`
 * (seeded pick, no augmentation, the notebook's /255), in place. Averaged weights (SWA) come with
 * averaged moving statistics that do not describe the activations the averaged convolutions
 * produce; this replaces them with the exact mean over the batches, not a decaying one: batch k
 * gets weight 1/(k+1) (momentum k/(k+1)), which tfjs-layers reads on each training-mode call.
 *
 * @returns the number of BatchNorm layers recalibrated.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, data: RecalibrationData, options: { images?: number; batchSize?: number; seed?: number } = {}): number {
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as BatchNormLike[];
  if (layers.length === 0 || data.count === 0) return layers.length;
  const batchSize = options.batchSize ?? 128;
  const total = Math.min(data.count, options.images ?? 8192);
  const order = seededPermutation(data.count, options.seed ?? 1, 0).subarray(0, total);
  const saved = layers.map((l) => l.momentum);
  const px = data.size * data.size;
  try {
    for (let b = 0, k = 0; b < total; b += batchSize, k++) {
      for (const l of layers) l.momentum = k / (k + 1);
      const n = Math.min(batchSize, total - b);
      const batch = new Float32Array(n * px);
      for (let i = 0; i < n; i++) {
        const src = order[b + i] * px;
        for (let j = 0; j < px; j++) batch[i * px + j] = data.pixels[src + j] / 255;
      }
      tf.tidy(() => { model.apply(tf.tensor4d(batch, [n, data.size, data.size, 1]), { training: true }); });
    }
  } finally {
    layers.forEach((l, i) => { l.momentum = saved[i]; });
  }
  return layers.length;
}
