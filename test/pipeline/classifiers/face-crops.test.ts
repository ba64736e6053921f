import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cv from '../../../pipeline/opencv.ts';
import { cropFaces } from '../../../pipeline/classifiers/face-crops.ts';
import type { BgrFrame } from '../../../pipeline/frames/bgr-image.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { faceApiSamplePhoto } from '../../helpers/paths.ts';

const image = cv.imread(faceApiSamplePhoto(3));
const frame: BgrFrame = { pixels: image.getData(), width: image.cols, height: image.rows };
// The three faces of sample3.jpg as the Haar detector finds them.
const FACES: BoxPx[] = [
  { x: 551, y: 339, width: 251, height: 251 },
  { x: 1015, y: 209, width: 315, height: 315 },
  { x: 1482, y: 313, width: 249, height: 249 },
];

test('shape: faces * 48 * 48 values in [0, 1] that are a real image, not a constant', () => {
  const crops = cropFaces(frame, FACES);
  assert.instance(crops, Float32Array);
  assert.is(crops.length, 3 * 48 * 48);
  let min = Infinity;
  let max = -Infinity;
  for (const v of crops) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= 0 && max <= 1, `${min}..${max}`);
  assert.ok(max - min > 0.5, `a face has contrast: ${min}..${max}`);
  assert.is(cropFaces(frame, FACES, 64).length, 3 * 64 * 64);
  assert.is(cropFaces(frame, []).length, 0);
});

test('equals the notebook computed directly with OpenCV: gray, crop, resize 48x48 bilinear, / 255', () => {
  const crops = cropFaces(frame, FACES);
  const box = FACES[1];
  const direct = image
    .cvtColor(cv.COLOR_BGR2GRAY)
    .getRegion(new cv.Rect(box.x, box.y, box.width, box.height))
    .resize(48, 48, 0, 0, cv.INTER_LINEAR)
    .getData();
  const second = crops.subarray(48 * 48, 2 * 48 * 48);
  for (let i = 0; i < direct.length; i += 1) {
    if (second[i] !== Math.fround(direct[i] / 255)) assert.unreachable(`pixel ${i}: ${second[i]} vs ${direct[i]} / 255`);
  }
  // The gray conversion weights B, G, R as OpenCV does (0.114, 0.587, 0.299), not as an average.
  const [b, g, r] = image.atRaw(box.y, box.x) as unknown as number[];
  const corner = image.cvtColor(cv.COLOR_BGR2GRAY).at(box.y, box.x) as number;
  assert.ok(Math.abs(corner - (0.114 * b + 0.587 * g + 0.299 * r)) <= 1);
});

test('a box partly outside the frame is clipped; one wholly outside throws ERR_CLASSIFY', () => {
  const clipped = cropFaces(frame, [{ x: frame.width - 100, y: -50, width: 300, height: 200 }]);
  const inside = cropFaces(frame, [{ x: frame.width - 100, y: 0, width: 100, height: 150 }]);
  assert.equal([...clipped], [...inside]);
  try {
    cropFaces(frame, [{ x: frame.width + 10, y: 0, width: 50, height: 50 }]);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_CLASSIFY');
  }
});

test.run();
