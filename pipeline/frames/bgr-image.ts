import cv, { type Mat } from '../opencv.ts';
import { EmotionStreamError } from '../../common/errors.ts';

/** One decoded frame: packed BGR24 pixels, row-major, no padding (`pixels.length === width * height * 3`). */
export interface BgrFrame {
  pixels: Buffer;
  width: number;
  height: number;
}

/**
 * Wraps a BGR24 frame as an OpenCV `CV_8UC3` Mat **without copying**: the Mat reads and writes
 * `frame.pixels` directly, so drawing on it edits the frame in place and detection costs no
 * 6 MB copy per 1080p frame. The caller keeps `frame.pixels` alive while the Mat is in use.
 *
 * @throws ERR_FRAME_SHAPE when the dimensions are not positive integers or the buffer length
 *   is not `width * height * 3`.
 */
export function bgrMat(frame: BgrFrame): Mat {
  const { pixels, width, height } = frame;
  const validSize = Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0;
  if (!validSize || pixels.length !== width * height * 3) {
    throw new EmotionStreamError(
      'ERR_FRAME_SHAPE',
      `frame of ${pixels.length} bytes is not ${width}x${height} BGR24 (${width * height * 3} bytes)`,
      { context: { width, height, bytes: pixels.length } },
    );
  }
  // (rows, cols, type, data) shares the buffer's memory; (data, rows, cols, type) would copy it.
  return new cv.Mat(height, width, cv.CV_8UC3, pixels);
}
