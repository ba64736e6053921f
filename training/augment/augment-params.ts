/**
 * Keras ImageDataGenerator's geometric augmentation settings (the subset the seed notebook uses),
 * with Keras' names in camelCase and Keras' meaning.
 */
export interface AugmentParams {
  /** Rotation, degrees: theta ~ U(-r, r). */
  rotationRange: number;
  /** Horizontal shift: < 1 a fraction of the width, >= 1 pixels; ~ U(-r, r). */
  widthShiftRange: number;
  /** Vertical shift: < 1 a fraction of the height, >= 1 pixels; ~ U(-r, r). */
  heightShiftRange: number;
  /** Shear angle in DEGREES, ~ U(-r, r) (Keras >= 2.2 / keras-preprocessing; Keras 1 and 2.0-2.1 used radians). */
  shearRange: number;
  /** Zoom factors zx, zy drawn independently from [1 - z, 1 + z], or from [lo, hi] when a pair. */
  zoomRange: number | readonly [number, number];
  /** Mirror left-right with probability 0.5. */
  horizontalFlip: boolean;
  /** Points sampled outside the image take the nearest edge pixel (the only mode implemented). */
  fillMode: 'nearest';
}
