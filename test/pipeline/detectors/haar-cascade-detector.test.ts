import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cv from '../../../pipeline/opencv.ts';
import { iou } from '../../../pipeline/detectors/box-iou.ts';
import { loadHaarCascadeDetector } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import type { BgrFrame } from '../../../pipeline/frames/bgr-image.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { faceApiSamplePhoto, tempDir } from '../../helpers/paths.ts';
import { sample3WithFaces } from '../../helpers/sample-faces.ts';

function photoFrame(n: 1 | 2 | 3 | 4 | 5 | 6): BgrFrame {
  const image = cv.imread(faceApiSamplePhoto(n));
  return { pixels: image.getData(), width: image.cols, height: image.rows };
}

function assertInsideFrame(boxes: BoxPx[], frame: BgrFrame): void {
  for (const box of boxes) {
    for (const v of [box.x, box.y, box.width, box.height]) assert.ok(Number.isInteger(v), `non-integer ${JSON.stringify(box)}`);
    assert.ok(box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0, JSON.stringify(box));
    assert.ok(box.x + box.width <= frame.width && box.y + box.height <= frame.height, JSON.stringify(box));
  }
}

/** Each found box is the face whose centre (seen by eye on the photo) is nearest, at about that size. */
function assertFaces(boxes: BoxPx[], expected: Array<{ cx: number; cy: number; side: number }>): void {
  assert.is(boxes.length, expected.length, JSON.stringify(boxes));
  boxes.forEach((box, i) => {
    const want = expected[i];
    const dist = Math.hypot(box.x + box.width / 2 - want.cx, box.y + box.height / 2 - want.cy);
    assert.ok(dist < 40, `box ${i} ${JSON.stringify(box)} is ${dist.toFixed(0)} px from the face`);
    assert.ok(Math.abs(box.width - want.side) < want.side * 0.25, `box ${i} size ${box.width} vs ${want.side}`);
  });
}

// Loading checks the cascade in a child process (~0.3 s): share the default detector.
const defaultDetector = await loadHaarCascadeDetector();

// sample3.jpg (1920x1350): three women on a sofa, all facing the camera.
const SAMPLE3_FACES = [
  { cx: 676, cy: 464, side: 251 },
  { cx: 1172, cy: 366, side: 315 },
  { cx: 1606, cy: 437, side: 249 },
];

test('finds the three faces of sample3, left to right, as integer boxes inside the photo', async () => {
  const frame = photoFrame(3);
  const boxes = await defaultDetector.detect(frame);
  assertInsideFrame(boxes, frame);
  assertFaces(boxes, SAMPLE3_FACES);
  assert.is(defaultDetector.name, 'haar-cascade');
});

test('finds the one frontal face of sample4 (the other three are turned or tilted)', async () => {
  const frame = photoFrame(4);
  const boxes = await defaultDetector.detect(frame);
  assertInsideFrame(boxes, frame);
  assertFaces(boxes, [{ cx: 1048, cy: 313, side: 241 }]);
});

test('downscaleTo: boxes mapped back to full-frame pixels match full-resolution ones (IoU > 0.5)', async () => {
  const full = defaultDetector;
  const small = await loadHaarCascadeDetector({ downscaleTo: 480 });
  const frame = photoFrame(3);
  const [fullBoxes, smallBoxes] = [await full.detect(frame), await small.detect(frame)];
  assertInsideFrame(smallBoxes, frame);
  assert.is(smallBoxes.length, fullBoxes.length);
  fullBoxes.forEach((box, i) => {
    const overlap = iou(box, smallBoxes[i]);
    assert.ok(overlap > 0.5, `IoU ${overlap.toFixed(2)} for ${JSON.stringify(box)} vs ${JSON.stringify(smallBoxes[i])}`);
  });
});

test('minSize is in full-frame pixels, also when detecting on a downscaled copy', async () => {
  // On the 640 px copy, 280 full-frame px are 93 px; read as copy pixels it would find nothing.
  const detector = await loadHaarCascadeDetector({ minSize: 280, downscaleTo: 640 });
  const boxes = await detector.detect(photoFrame(3));
  assert.is(boxes.length, 3, JSON.stringify(boxes));
  // 3 px of slack: 280 rounds to 93 px on the copy, i.e. 279 px back on the frame.
  for (const box of boxes) assert.ok(box.width >= 277 && box.height >= 277, JSON.stringify(box));
});

test('concurrent detect calls on one detector give the same boxes as one at a time', async () => {
  const detector = await loadHaarCascadeDetector({ downscaleTo: 640, equalize: true });
  const frame = photoFrame(3);
  const sequential = await detector.detect(frame);
  const concurrent = await Promise.all([detector.detect(frame), detector.detect(frame), detector.detect(frame)]);
  assert.ok(sequential.length > 0);
  for (const boxes of concurrent) assert.equal(boxes, sequential);
});

test('detectNear: each known face is found again near its box (shifted a little), nothing where there is no face', async () => {
  const frame = photoFrame(3);
  const faces = await defaultDetector.detect(frame);
  assert.is(faces.length, 3);
  // Where the faces were a few frames ago: 20 px to the left and up.
  const earlier = faces.map((b) => ({ ...b, x: b.x - 20, y: b.y - 20 }));
  const empty = { x: 40, y: 1000, width: 250, height: 250 };
  const found = await defaultDetector.detectNear(frame, [...earlier, empty], 0.35);
  assert.is(found.length, 4);
  faces.forEach((face, i) => assert.ok(found[i] && iou(found[i]!, face) > 0.7, `face ${i}: ${JSON.stringify(found[i])} vs ${JSON.stringify(face)}`));
  assert.is(found[3], undefined);
  assertInsideFrame(found.filter((b): b is BoxPx => b !== undefined), frame);
  assert.equal(await defaultDetector.detectNear(frame, [], 0.35), []);
});

test('detectNear: a face at the frame edge is found (the window slides inwards); a box mostly outside the frame finds nothing', async () => {
  const { photo, faces } = sample3WithFaces();
  // Crop so the left face touches the frame's left edge.
  const left = faces[0];
  const width = photo.width - left.x + 2;
  const cropped = Buffer.alloc(width * photo.height * 3);
  for (let y = 0; y < photo.height; y++) photo.pixels.copy(cropped, y * width * 3, (y * photo.width + left.x - 2) * 3, (y * photo.width + photo.width) * 3);
  const frame = { pixels: cropped, width, height: photo.height };
  const [edge] = await defaultDetector.detectNear(frame, [{ ...left, x: 2 }], 0.35);
  assert.ok(edge && edge.x < 20, `edge face: ${JSON.stringify(edge)}`);
  const [outside] = await defaultDetector.detectNear(frame, [{ x: width - 5, y: 10, width: 250, height: 250 }], 0.35);
  assert.is(outside, undefined);
});

test('a blank frame has no faces; a malformed frame rejects with ERR_FRAME_SHAPE', async () => {
  const detector = defaultDetector;
  assert.equal(await detector.detect({ pixels: Buffer.alloc(320 * 240 * 3, 128), width: 320, height: 240 }), []);
  try {
    await detector.detect({ pixels: Buffer.alloc(100), width: 320, height: 240 });
    assert.unreachable('should have rejected');
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_FRAME_SHAPE');
  }
});

test('missing cascade file: ERR_DETECTOR_LOAD with the path; bad options: ERR_CONFIG', async () => {
  const tmp = tempDir();
  const cascadePath = join(tmp.dir, 'missing.xml');
  try {
    await loadHaarCascadeDetector({ cascadePath });
    assert.unreachable('should have rejected');
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_DETECTOR_LOAD');
    assert.ok((err as Error).message.includes(cascadePath));
  } finally {
    tmp.cleanup();
  }
  for (const options of [{ scaleFactor: 1 }, { minNeighbors: -1 }, { minSize: 40, maxSize: 20 }, { downscaleTo: 10 }]) {
    try {
      await loadHaarCascadeDetector(options);
      assert.unreachable(`should have rejected ${JSON.stringify(options)}`);
    } catch (err) {
      assert.is((err as EmotionStreamError).code, 'ERR_CONFIG', String(err));
    }
  }
});

test('after dispose, detect rejects with ERR_DETECT', async () => {
  const detector = await loadHaarCascadeDetector({ downscaleTo: 320 });
  detector.dispose?.();
  try {
    await detector.detect(photoFrame(3));
    assert.unreachable('should have rejected');
  } catch (err) {
    assert.is((err as EmotionStreamError).code, 'ERR_DETECT');
  }
});

test.run();
