import { readFileSync } from 'node:fs';
import type { Mat } from '../../pipeline/opencv.ts';
import cv from '../../pipeline/opencv.ts';
import { resizeFace } from './resize-face.ts';

/**
 * Decodes one image (any format OpenCV reads: jpg, png, bmp, webp, tiff, ...) to grayscale and
 * resizes it to `size` x `size`.
 *
 * @param input - a file path, or the encoded file bytes.
 * @param size - side of the output square in pixels (> 0).
 * @returns size * size bytes, row-major.
 * @throws Error whose message is the reason (unreadable file, empty file, not a decodable image);
 *   loaders record it in `FaceDataset.skipped` rather than failing the whole dataset.
 */
export function decodeFaceImage(input: string | Uint8Array, size: number): Uint8Array {
  const bytes = typeof input === 'string' ? readFileSync(input) : input;
  // OpenCV aborts the whole process (uncatchable std::runtime_error) on an empty buffer.
  if (bytes.length === 0) throw new Error('empty file');
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let mat: Mat;
  try {
    mat = cv.imdecode(buffer, cv.IMREAD_GRAYSCALE);
  } catch (err) {
    // The binding throws plain strings, not Errors.
    throw new Error(`not a decodable image: ${String(err)}`, { cause: err });
  }
  if (mat.empty || mat.rows === 0 || mat.cols === 0) throw new Error('not a decodable image');
  const data = resizeFace(mat, size).getData();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
