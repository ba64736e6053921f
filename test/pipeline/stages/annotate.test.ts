import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import cv from '../../../pipeline/opencv.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import { EMOTIONS, type ClassificationsMsg, type ClassifiedFace, type EmotionScores, type PipelineMsg } from '../../../pipeline/messages.ts';
import { annotate, formatFaceLabel } from '../../../pipeline/stages/annotate.ts';
import { faceApiSamplePhoto } from '../../helpers/paths.ts';

const CAMERA = 'cam1';

/** Runs `input` through a stage and collects everything it emits. */
function run(input: PipelineMsg[], stage: OperatorFunction<PipelineMsg, PipelineMsg>): Promise<PipelineMsg[]> {
  return lastValueFrom(from(input).pipe(stage, toArray()));
}
const scores = Object.fromEntries(EMOTIONS.map((e) => [e, e === 'happy' ? 0.931 : 0.0115])) as EmotionScores;

/** sample3.jpg scaled to 640 px wide (640x450) as BGR24. */
function photo(): { pixels: Buffer; width: number; height: number } {
  const image = cv.imread(faceApiSamplePhoto(3)).resize(450, 640, 0, 0, cv.INTER_AREA);
  return { pixels: image.getData(), width: image.cols, height: image.rows };
}

function classifications(seq: number, faces: ClassifiedFace[], size = { width: 640, height: 450 }): ClassificationsMsg {
  const meta = { cameraId: CAMERA, seq, ptsMs: 0, capturedAt: 0, ...size, frameKey: frameKey(CAMERA, seq) };
  return { kind: 'classifications', v: 1, meta, faces, modelVersion: 'test', timings: { detect: 1, classify: 2 } };
}

const face = (x: number, y: number, side: number): ClassifiedFace => ({ boxPx: { x, y, width: side, height: side }, label: 'happy', confidence: 0.931, scores });

function bgr(pixels: Buffer, width: number, x: number, y: number): number[] {
  const at = (y * width + x) * 3;
  return [...pixels.subarray(at, at + 3)];
}

function changedPixels(a: Buffer, b: Buffer, width: number, area: { x0: number; y0: number; x1: number; y1: number }): number {
  let changed = 0;
  for (let y = area.y0; y < area.y1; y += 1) {
    for (let x = area.x0; x < area.x1; x += 1) if (bgr(a, width, x, y).join() !== bgr(b, width, x, y).join()) changed += 1;
  }
  return changed;
}

test('formatFaceLabel writes the notebook caption', () => {
  assert.is(formatFaceLabel('happy', 0.931), 'Happy (93.1%)');
  assert.is(formatFaceLabel('neutral', 1), 'Neutral (100.0%)');
  assert.is(formatFaceLabel('surprise', 0.0004), 'Surprise (0.0%)');
});

test('draws a green box on the face border and the caption above it, in the stored frame', async () => {
  const store = new InMemoryFrameStore();
  const { pixels, width } = photo();
  const original = Buffer.from(pixels);
  store.put(frameKey(CAMERA, 0), pixels);
  const msg = classifications(0, [face(183, 113, 84)]);
  const [out] = (await run([msg], annotate({ frameStore: store }))) as ClassificationsMsg[];

  assert.is(out.annotated, true);
  assert.type(out.timings.annotate, 'number');
  assert.equal([out.timings.detect, out.timings.classify], [1, 2]);
  assert.is(out.fault, undefined);
  const stored = store.get(frameKey(CAMERA, 0));
  for (const [x, y] of [[183, 150], [267, 150], [220, 113], [220, 197]]) assert.equal(bgr(stored, width, x, y), [0, 255, 0], `border at ${x},${y}`);
  assert.equal(bgr(stored, width, 225, 155), bgr(original, width, 225, 155), 'the face itself is untouched');
  const above = changedPixels(original, stored, width, { x0: 183, y0: 80, x1: 330, y1: 110 });
  assert.ok(above > 300, `caption pixels above the box: ${above}`);
  const whiteish = [...Array(30 * 147).keys()].filter((i) => bgr(stored, width, 183 + (i % 147), 80 + Math.floor(i / 147)).every((c) => c > 240));
  assert.ok(whiteish.length > 50, `white caption strokes: ${whiteish.length}`);
});

test('a face at the top edge gets its caption inside the box; other kinds and faulted messages pass through', async () => {
  const store = new InMemoryFrameStore();
  const { pixels, width } = photo();
  const original = Buffer.from(pixels);
  store.put(frameKey(CAMERA, 1), pixels);
  const faulted = { ...classifications(2, [face(10, 10, 50)]), fault: { stage: 'classify-emotion', code: 'ERR_CLASSIFY', message: 'x' } };
  const end: PipelineMsg = { kind: 'stream-end', v: 1, cameraId: CAMERA, frames: 3, reason: 'eof', endedAt: 0 };
  const input: PipelineMsg[] = [classifications(1, [face(300, 0, 120)]), faulted, end];
  const out = await run(input, annotate({ frameStore: store }));
  assert.is(out[1], faulted);
  assert.is(out[2], end);
  assert.is((out[0] as ClassificationsMsg).annotated, true);
  assert.ok(changedPixels(original, pixels, width, { x0: 303, y0: 3, x1: 418, y1: 40 }) > 300, 'caption inside the box top');
});

test('a missing frame becomes an ERR_FRAME_MISSING fault; a frame with no faces is annotated without a lookup', async () => {
  const store = new InMemoryFrameStore();
  const out = (await run([classifications(5, [face(10, 10, 50)]), classifications(6, [])], annotate({ frameStore: store }))) as ClassificationsMsg[];
  assert.equal([out[0].fault?.code, out[0].fault?.stage, out[0].annotated], ['ERR_FRAME_MISSING', 'annotate', undefined]);
  assert.equal([out[1].fault, out[1].annotated], [undefined, true]);
});

test('captions scale with the frame: larger on 1080p than on 320x240', async () => {
  const inkAbove = async (width: number, height: number, side: number) => {
    const store = new InMemoryFrameStore();
    const pixels = Buffer.alloc(width * height * 3, 90);
    store.put(frameKey(CAMERA, 0), pixels);
    const y = Math.round(height / 2);
    await run([classifications(0, [face(10, y, side)], { width, height })], annotate({ frameStore: store }));
    let top = y;
    for (let row = 0; row < y; row += 1) if (pixels.subarray(row * width * 3, (row + 1) * width * 3).some((c) => c !== 90)) top = Math.min(top, row);
    return y - top;
  };
  const small = await inkAbove(320, 240, 60);
  const large = await inkAbove(1920, 1080, 300);
  assert.ok(small >= 10 && small < 25, `320x240 caption height ${small}`);
  assert.ok(large > 3 * small, `1080p caption height ${large} vs ${small}`);
});

test.run();
