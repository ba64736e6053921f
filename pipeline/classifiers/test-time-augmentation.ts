import type { LayersModel, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { tf } from '../models/tfjs.ts';
import type { TtaMode } from '../../config/schema.ts';

/**
 * Test-time augmentation: a face is classified in several views and the class probabilities
 * are averaged, which evens out a crop that is a little off or a face turned one way.
 * - none: the crop as it is (1 predict).
 * - flip: the crop and its mirror image (2x the work).
 * - shift: the crop and its mirror, each also moved SHIFT_PX pixels left, right, up and down
 *   with the edge pixels repeated (the training augmentation's fill 'nearest'): 10x the work.
 */

/** 2 px of a 48 px crop: well inside the training augmentation's shifts (10-20%). */
export const SHIFT_PX = 2;

/** How many predictions each face costs in a mode. */
export function ttaViewCount(mode: TtaMode): number {
  return mode === 'none' ? 1 : mode === 'flip' ? 2 : 10;
}

/**
 * Mean class probabilities of a batch [n, h, w, 1] over the mode's views. All views go
 * through one predict call (one batch of n * views), so batching stays as efficient as it was.
 */
export function predictWithTta(model: LayersModel, x: Tensor4D, mode: TtaMode): Tensor2D {
  return tf.tidy(() => {
    if (mode === 'none') return model.predict(x) as Tensor2D;
    const views = ttaViews(x, mode);
    const n = x.shape[0];
    const probs = model.predict(tf.concat(views, 0)) as Tensor2D;
    return tf.mean(tf.reshape(probs, [views.length, n, probs.shape[1]]), 0) as Tensor2D;
  });
}

/** The views of a batch, identity first (callers tidy the tensors). */
export function ttaViews(x: Tensor4D, mode: TtaMode): Tensor4D[] {
  if (mode === 'none') return [x];
  const mirrored = tf.reverse(x, 2) as Tensor4D;
  if (mode === 'flip') return [x, mirrored];
  const views: Tensor4D[] = [];
  for (const v of [x, mirrored]) {
    views.push(v, shift(v, 2, SHIFT_PX), shift(v, 2, -SHIFT_PX), shift(v, 1, SHIFT_PX), shift(v, 1, -SHIFT_PX));
  }
  return views;
}

/**
 * Moves the image `by` pixels along an axis (1 = rows, 2 = columns; positive = towards higher
 * indices); the pixels uncovered repeat the edge row or column.
 */
export function shift(x: Tensor4D, axis: 1 | 2, by: number): Tensor4D {
  const len = x.shape[axis];
  const k = Math.abs(by);
  if (k === 0) return x;
  if (k >= len) throw new RangeError(`shift of ${by} px on an axis of ${len} px`);
  const sliceAlong = (start: number, size: number) => {
    const begin = [0, 0, 0, 0];
    const sizes = [-1, -1, -1, -1];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.slice(x, begin, sizes);
  };
  const reps = [1, 1, 1, 1];
  reps[axis] = k;
  if (by > 0) return tf.concat([tf.tile(sliceAlong(0, 1), reps), sliceAlong(0, len - k)], axis) as Tensor4D;
  return tf.concat([sliceAlong(k, len - k), tf.tile(sliceAlong(len - 1, 1), reps)], axis) as Tensor4D;
}
