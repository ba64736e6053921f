import type { Rng } from './rng.ts';
import type { AugmentParams } from './augment-params.ts';
import type { AffineTransform } from './affine-transform.ts';

/**
 * Draws one random transform the way Keras' ImageDataGenerator.get_random_transform does:
 * theta ~ U(-rotationRange, rotationRange) degrees; shifts ~ U(-range, range) times the side when
 * range < 1 (pixels otherwise); shear ~ U(-shearRange, shearRange) degrees; zx, zy independent
 * U(zoom lo, zoom hi); flip with probability 0.5 when enabled.
 *
 * Always makes the same 7 draws, whatever the ranges, so streams stay aligned when settings change.
 * Note: Keras samples `tx` from height_shift_range but applies it along columns (its axis swap);
 * we apply width to columns and height to rows. For square images with equal ranges, as in the
 * notebook, both give the same distribution.
 *
 * @param size - side of the (square) image in pixels, for fractional shifts.
 */
export function sampleTransform(rng: Rng, params: AugmentParams, size: number): AffineTransform {
  const theta = symmetric(rng, params.rotationRange);
  const tx = symmetric(rng, params.widthShiftRange) * (params.widthShiftRange < 1 ? size : 1);
  const ty = symmetric(rng, params.heightShiftRange) * (params.heightShiftRange < 1 ? size : 1);
  const shear = symmetric(rng, params.shearRange);
  const [lo, hi] = typeof params.zoomRange === 'number' ? [1 - params.zoomRange, 1 + params.zoomRange] : params.zoomRange;
  const zx = rng.uniform(lo, hi);
  const zy = rng.uniform(lo, hi);
  const flip = rng.next() < 0.5;
  return { theta, tx, ty, shear, zx, zy, flipHorizontal: params.horizontalFlip && flip };
}

function symmetric(rng: Rng, range: number): number {
  return rng.uniform(-range, range);
}
