import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cv from '../../../pipeline/opencv.ts';
import { bgrMat } from '../../../pipeline/frames/bgr-image.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';

test('wraps the buffer without copying: drawing on the Mat edits the frame pixels', () => {
  const pixels = Buffer.alloc(8 * 4 * 3, 10);
  const mat = bgrMat({ pixels, width: 8, height: 4 });
  assert.is(mat.cols, 8);
  assert.is(mat.rows, 4);
  assert.is(mat.type, cv.CV_8UC3);
  mat.drawRectangle(new cv.Point2(2, 1), new cv.Point2(2, 1), new cv.Vec3(1, 2, 3), -1);
  const at = (1 * 8 + 2) * 3;
  assert.equal([...pixels.subarray(at, at + 3)], [1, 2, 3]);
  assert.is(pixels[0], 10);
});

test('reads B, G, R in that order from a buffer that is a view into a larger one', () => {
  const backing = Buffer.alloc(100, 0);
  const pixels = backing.subarray(7, 7 + 2 * 2 * 3);
  pixels.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const mat = bgrMat({ pixels, width: 2, height: 2 });
  assert.equal(mat.atRaw(1, 0), [7, 8, 9]);
  assert.equal(mat.atRaw(0, 1), [4, 5, 6]);
});

test('a buffer of the wrong length or a bad size throws ERR_FRAME_SHAPE', () => {
  for (const frame of [
    { pixels: Buffer.alloc(10), width: 2, height: 2 },
    { pixels: Buffer.alloc(0), width: 0, height: 0 },
    { pixels: Buffer.alloc(12), width: 1.5, height: 2 },
  ]) {
    try {
      bgrMat(frame);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_FRAME_SHAPE', String(err));
    }
  }
});

test.run();
