import type { AffineTransform } from './affine-transform.ts';

/** Coordinates this close below an integer count as that integer (cos 90deg is 6e-17, not 0). */
const SNAP = 1e-9;

/**
 * Applies `transform` to one square grayscale image exactly as Keras' apply_affine_transform +
 * flip + rescale do (keras.src.legacy.preprocessing.image, the code tf.keras' ImageDataGenerator
 * runs): the inverse map  input = C * R(theta) * T(tx, ty) * Shear(shear) * Zoom(zx, zy) * C^-1 * output,
 * with C centring on ((size - 1) / 2, (size - 1) / 2) (transform_matrix_offset_center), sampled with
 * scipy.ndimage.affine_transform's order=1 (bilinear) and mode='nearest' (coordinates outside the
 * image clamp to the edge), then mirrored if flipHorizontal, then multiplied by 1/255.
 *
 * @param src - size * size bytes (0..255), row-major.
 * @param out - receives size * size floats in 0..1.
 */
export function applyTransform(src: Uint8Array, size: number, transform: AffineTransform, out: Float32Array): void {
  const m = inverseMap(transform, size);
  const max = size - 1;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let c = 0; c < size; c++) {
      const x = transform.flipHorizontal ? max - c : c;
      out[row + c] = bilinear(src, size, m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]) / 255;
    }
  }
}

/** [a, b, e, c, d, f]: input x = a*x + b*y + e, input y = c*x + d*y + f (output pixel x = column, y = row). */
function inverseMap(t: AffineTransform, size: number): number[] {
  const theta = (t.theta * Math.PI) / 180;
  const shear = (t.shear * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // R * T * Shear * Zoom, with Shear = [[1, -sin s], [0, cos s]] as in Keras.
  const a = cos * t.zx;
  const b = -t.zy * Math.sin(theta + shear);
  const c = sin * t.zx;
  const d = t.zy * Math.cos(theta + shear);
  const centre = (size - 1) / 2;
  const e = centre - a * centre - b * centre + (cos * t.tx - sin * t.ty);
  const f = centre - c * centre - d * centre + (sin * t.tx + cos * t.ty);
  return [a, b, e, c, d, f];
}

/** Bilinear sample at (x, y) with edge clamping (scipy mode 'nearest'). */
function bilinear(src: Uint8Array, size: number, x: number, y: number): number {
  const max = size - 1;
  let x0 = Math.floor(x + SNAP);
  let y0 = Math.floor(y + SNAP);
  const fx = x - x0 > 0 ? x - x0 : 0;
  const fy = y - y0 > 0 ? y - y0 : 0;
  let x1 = x0 + 1;
  let y1 = y0 + 1;
  if (x0 < 0) (x0 = 0), (x1 = x1 < 0 ? 0 : x1);
  else if (x1 > max) (x1 = max), (x0 = x0 > max ? max : x0);
  if (y0 < 0) (y0 = 0), (y1 = y1 < 0 ? 0 : y1);
  else if (y1 > max) (y1 = max), (y0 = y0 > max ? max : y0);
  const top = src[y0 * size + x0] * (1 - fx) + src[y0 * size + x1] * fx;
  const bottom = src[y1 * size + x0] * (1 - fx) + src[y1 * size + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}
