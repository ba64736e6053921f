import type { Mat } from '../../pipeline/opencv.ts';
import cv from '../../pipeline/opencv.ts';

/**
 * Resizes a grayscale Mat to `size` x `size`: INTER_AREA when shrinking (averages, no aliasing),
 * INTER_LINEAR when growing, no copy when it already has that size. Aspect ratio is not kept:
 * faces are expected to be (roughly) square crops, as in FER2013.
 */
export function resizeFace(mat: Mat, size: number): Mat {
  if (mat.rows === size && mat.cols === size) return mat;
  const shrinking = mat.rows * mat.cols > size * size;
  return mat.resize(size, size, 0, 0, shrinking ? cv.INTER_AREA : cv.INTER_LINEAR);
}
