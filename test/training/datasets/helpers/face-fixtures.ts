import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import cv from '../../../../pipeline/opencv.ts';

/** A deterministic size x size gray "face": a gradient keyed by `seed`, so every image differs. */
export function facePixels(size: number, seed: number): Uint8Array {
  const pixels = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = (seed * 37 + x * 3 + y * 5) & 255;
  return pixels;
}

/** Writes a gray image (rows x cols bytes) with OpenCV; the extension picks the codec. `color` stores it as 3-channel BGR. */
export function writeImage(path: string, pixels: Uint8Array, rows: number, cols: number, color = false): void {
  mkdirSync(dirname(path), { recursive: true });
  let mat = new cv.Mat(Buffer.from(pixels), rows, cols, cv.CV_8UC1);
  if (color) mat = mat.cvtColor(cv.COLOR_GRAY2BGR);
  cv.imwrite(path, mat);
}

/** Writes a file that has an image extension but is not an image. */
export function writeCorrupt(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'this is not an image, whatever the extension says');
}

/** A fer2013.csv pixel field for `pixels`. */
export function pixelField(pixels: Uint8Array): string {
  return Array.from(pixels).join(' ');
}
