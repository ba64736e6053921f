import cv, { type Mat } from '../opencv.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import type { BoxPx } from '../messages.ts';
import { bgrMat, type BgrFrame } from '../frames/bgr-image.ts';

/**
 * The emotion CNN's input for each face, exactly as the seed notebook builds it:
 * BGR -> GRAY, crop the box, cv.resize to `size` x `size` (bilinear, OpenCV's default), / 255.
 *
 * @returns `boxes.length * size * size` values in 0..1: face after face, each row-major
 *   (a [faces, size, size, 1] tensor's data).
 * @throws ERR_FRAME_SHAPE for a malformed frame; ERR_CLASSIFY for a box that misses the frame.
 *   Boxes partly outside the frame are clipped to it (as the notebook's numpy slicing does).
 */
export function cropFaces(frame: BgrFrame, boxes: readonly BoxPx[], size = 48): Float32Array {
  const out = new Float32Array(boxes.length * size * size);
  if (boxes.length === 0) return out;
  const gray = bgrMat(frame).cvtColor(cv.COLOR_BGR2GRAY);
  try {
    boxes.forEach((box, i) => {
      const face = cropResized(gray, box, size);
      const pixels = face.getData();
      face.release();
      const offset = i * size * size;
      // float32(v) / 255 as numpy does; v / 255 in double then rounded to float32 gives the same value.
      for (let p = 0; p < pixels.length; p += 1) out[offset + p] = pixels[p] / 255;
    });
  } finally {
    gray.release();
  }
  return out;
}

function cropResized(gray: Mat, box: BoxPx, size: number): Mat {
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(gray.cols, Math.round(box.x + box.width));
  const y1 = Math.min(gray.rows, Math.round(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) {
    throw new EmotionStreamError('ERR_CLASSIFY', `face box ${JSON.stringify(box)} is outside the ${gray.cols}x${gray.rows} frame`, {
      context: { box, width: gray.cols, height: gray.rows },
    });
  }
  const region = gray.getRegion(new cv.Rect(x0, y0, x1 - x0, y1 - y0));
  // resize() writes a fresh continuous Mat, so getData() is exactly size*size bytes.
  const resized = region.resize(size, size, 0, 0, cv.INTER_LINEAR);
  region.release();
  return resized;
}
