import cv from '../../pipeline/opencv.ts';
import type { BgrFrame } from '../../pipeline/frames/bgr-image.ts';
import { faceApiSamplePhoto } from '../../pipeline/sources/face-api-sample-photo.ts';

/** A real photo with faces (face-api's sample `n`) as a BGR24 frame of `width` x `height`. */
export function photoFrame(n: 1 | 2 | 3 | 4 | 5 | 6 = 1, width = 640, height = 480): BgrFrame {
  const photo = cv.imread(faceApiSamplePhoto(n));
  const sized = photo.resize(height, width);
  const pixels = sized.getData();
  photo.release();
  sized.release();
  return { pixels, width, height };
}

/** Mean absolute difference per byte of two equally long pixel buffers. */
export function meanAbsError(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`buffers of ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}
