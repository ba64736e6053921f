import type { Rng } from './rng.ts';
import type { AugmentParams } from './augment-params.ts';
import { sampleTransform } from './sample-transform.ts';
import { applyTransform } from './apply-transform.ts';

export type { AugmentParams };

/** A batch to build from a FaceDataset's pixel array. */
export interface BatchInput {
  /** All images, size * size bytes each, back to back (FaceDataset.pixels). */
  pixels: Uint8Array;
  size: number;
  /** Which images, in batch order. */
  indices: ArrayLike<number>;
  /** Reused when given (must hold indices.length * size * size floats); allocated otherwise. */
  out?: Float32Array;
}

/**
 * Builds one augmented batch: for each index, draws a transform from `rng` (sampleTransform, one
 * per image in batch order) and writes the transformed image rescaled to 0..1 into `out` at
 * position i. Same rng state and inputs -> same batch, bit for bit.
 *
 * @returns `out` (or a new array): indices.length * size * size floats, image after image.
 */
export function augmentBatch(input: BatchInput & { rng: Rng; params: AugmentParams }): Float32Array {
  const area = input.size * input.size;
  const out = outputFor(input, area);
  for (let i = 0; i < input.indices.length; i++) {
    const from = imageOffset(input, i, area);
    const transform = sampleTransform(input.rng, input.params, input.size);
    applyTransform(input.pixels.subarray(from, from + area), input.size, transform, out.subarray(i * area, (i + 1) * area));
  }
  return out;
}

/** The non-augmented path (Keras' test generator: rescale=1/255 only): copies the images scaled to 0..1. */
export function rescaleBatch(input: BatchInput): Float32Array {
  const area = input.size * input.size;
  const out = outputFor(input, area);
  for (let i = 0; i < input.indices.length; i++) {
    const from = imageOffset(input, i, area);
    const to = i * area;
    for (let k = 0; k < area; k++) out[to + k] = input.pixels[from + k] / 255;
  }
  return out;
}

/** Alias of rescaleBatch, under the name the augmentation design uses. */
export const noAugment = rescaleBatch;

function outputFor(input: BatchInput, area: number): Float32Array {
  const needed = input.indices.length * area;
  if (!input.out) return new Float32Array(needed);
  if (input.out.length < needed) throw new RangeError(`batch output holds ${input.out.length} floats, needs ${needed}`);
  return input.out;
}

function imageOffset(input: BatchInput, i: number, area: number): number {
  const index = input.indices[i];
  if (!(index >= 0 && (index + 1) * area <= input.pixels.length)) {
    throw new RangeError(`batch index ${index} is outside the ${input.pixels.length / area} images`);
  }
  return index * area;
}
