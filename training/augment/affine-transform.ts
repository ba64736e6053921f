/**
 * One concrete random transform, as Keras' get_random_transform returns it, in image axes:
 * x = column (left to right), y = row (top to bottom).
 */
export interface AffineTransform {
  /** Rotation, degrees; +90 maps the image like numpy's rot90 (counter-clockwise on screen). */
  theta: number;
  /** Shift along x (columns), pixels: output pixel x samples the input at x + tx (content moves left for tx > 0). */
  tx: number;
  /** Shift along y (rows), pixels: output pixel y samples the input at y + ty. */
  ty: number;
  /** Shear angle, degrees. */
  shear: number;
  /** Zoom along x and y: > 1 samples a larger area (content shrinks), as in Keras. */
  zx: number;
  zy: number;
  /** Mirror columns after the affine part (Keras applies the flip last). */
  flipHorizontal: boolean;
}

/** The transform that changes nothing. */
export const IDENTITY_TRANSFORM: Readonly<AffineTransform> = { theta: 0, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flipHorizontal: false };
