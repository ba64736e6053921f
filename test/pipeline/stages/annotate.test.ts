import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import cv from '../../../pipeline/opencv.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import { EMOTIONS, type BoxPx, type ClassificationsMsg, type ClassifiedFace, type EmotionScores, type PipelineMsg } from '../../../pipeline/messages.ts';
import { annotate, captionText, formatFaceLabel, formatTrackLabel, layoutCaptions, trackColor } from '../../../pipeline/stages/annotate.ts';
import { intersects } from '../../../pipeline/stages/caption-layout.ts';
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
/** A tracked face: its raw label is sad (60%), its track's stable emotion surprise (87.1%). */
const tracked = (x: number, y: number, side: number, trackId: number): ClassifiedFace => ({
  ...face(x, y, side),
  label: 'sad',
  confidence: 0.6,
  trackId,
  stable: { label: 'surprise', confidence: 0.871, scores },
});

/** A flat grey frame in a fresh store, for drawing tests that read pixels back. */
function greyFrame(seq: number, width: number, height: number): { store: InMemoryFrameStore; pixels: Buffer } {
  const store = new InMemoryFrameStore();
  const pixels = Buffer.alloc(width * height * 3, 90);
  store.put(frameKey(CAMERA, seq), pixels);
  return { store, pixels };
}

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

/** Fails naming the offending pair or rectangle unless the captions are disjoint and inside the frame. */
function assertDisjointInside(rects: BoxPx[], frame: { width: number; height: number }, what: string): void {
  rects.forEach((r, i) => {
    assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= frame.width && r.y + r.height <= frame.height, `${what}: caption ${i} ${JSON.stringify(r)} leaves the frame`);
    for (let j = i + 1; j < rects.length; j += 1) assert.not.ok(intersects(r, rects[j]), `${what}: captions ${i} and ${j} intersect: ${JSON.stringify([r, rects[j]])}`);
  });
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

test('a tracked face is captioned with its id and its track\'s stable emotion; an untracked one with its own label', async () => {
  assert.is(formatTrackLabel(3, { label: 'happy', confidence: 0.931, scores }), '#3 Happy (93.1%)');
  assert.is(captionText(tracked(0, 0, 50, 12)), '#12 Surprise (87.1%)');
  assert.is(captionText(face(0, 0, 50)), 'Happy (93.1%)');
  const [withTrack, without] = layoutCaptions([tracked(60, 200, 80, 3), face(400, 200, 80)], { width: 640, height: 480 });
  assert.is(withTrack.text, '#3 Surprise (87.1%)');
  assert.is(without.text, 'Happy (93.1%)');

  // Drawn: the ink above the box runs as far right as the track caption ("Sad (60.0%)" would stop ~100 px short).
  const { store, pixels } = greyFrame(0, 640, 480);
  await run([classifications(0, [tracked(60, 200, 80, 3)], { width: 640, height: 480 })], annotate({ frameStore: store }));
  let right = 0;
  for (let y = withTrack.rect.y; y < 200; y += 1) for (let x = 60; x < 640; x += 1) if (bgr(pixels, 640, x, y).every((c) => c > 200)) right = Math.max(right, x);
  assert.ok(right > withTrack.rect.x + withTrack.rect.width - 15, `white caption ink ends at x=${right}, caption ${JSON.stringify(withTrack.rect)}`);
});

test('each track keeps its colour across frames, different tracks differ, untracked faces stay green', async () => {
  /** Draws `faces` on a fresh grey frame and reads each box's left edge at mid-height. */
  const edgeColours = async (faces: ClassifiedFace[]) => {
    const { store, pixels } = greyFrame(0, 640, 480);
    await run([classifications(0, faces, { width: 640, height: 480 })], annotate({ frameStore: store }));
    return faces.map(({ boxPx: b }) => bgr(pixels, 640, b.x, b.y + Math.floor(b.height / 2)));
  };
  const [first3, first4, untracked] = await edgeColours([tracked(60, 200, 80, 3), tracked(250, 200, 80, 4), face(450, 200, 80)]);
  // The next frame: track 3 moved and comes second, so a colour by position would change.
  const [, second3] = await edgeColours([tracked(60, 250, 80, 9), tracked(300, 220, 90, 3)]);
  assert.equal(second3, first3, 'track 3 on both frames');
  assert.not.equal(first4, first3, 'tracks 3 and 4');
  assert.equal(untracked, [0, 255, 0]);
  assert.not.equal(first3, [0, 255, 0], 'a tracked face is not the untracked green');
  assert.equal(first3, [...trackColor(3)]);
});

test('track colours are clearly distinct from each other and from the untracked green', () => {
  const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
  const colours = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => trackColor(id));
  colours.forEach((c, i) => {
    assert.ok(distance(c, trackColor(undefined)) > 150, `track ${i + 1} vs green`);
    for (let j = i + 1; j < colours.length; j += 1) assert.ok(distance(c, colours[j]) > 90, `tracks ${i + 1} and ${j + 1}: ${c} vs ${colours[j]}`);
  });
});

test('captions of crowded faces never intersect and stay inside the frame, on 640x480 and 2048x1536', () => {
  for (const frame of [{ width: 640, height: 480 }, { width: 2048, height: 1536 }]) {
    const s = (v: number) => Math.round((v * frame.width) / 640);
    // Six faces side by side 10 px apart; two faces one above the other; faces in the corners.
    const row = [0, 1, 2, 3, 4, 5].map((i) => tracked(s(20 + i * 100), s(200), s(90), i + 10));
    const column = [tracked(s(250), s(60), s(100), 20), tracked(s(250), s(175), s(100), 21)];
    const corners = [tracked(s(550), 0, s(90), 30), tracked(0, s(390), s(90), 31), face(s(550), s(390), s(90))];
    for (const [name, faces] of Object.entries({ row, column, 'row and corners': [...row, ...corners] })) {
      const rects = layoutCaptions(faces, frame).map((c) => c.rect);
      assertDisjointInside(rects, frame, `${name} on ${frame.width}x${frame.height}`);
    }
  }
});

test('crowded captions are drawn where the layout puts them; a caption moved away gets a line in its box colour', async () => {
  const frame = { width: 640, height: 480 };
  const faces = [0, 1, 2, 3, 4, 5].map((i) => tracked(20 + i * 100, 200, 90, i + 1));
  const { store, pixels } = greyFrame(0, frame.width, frame.height);
  await run([classifications(0, faces, frame)], annotate({ frameStore: store }));
  const rects = layoutCaptions(faces, frame).map((c) => c.rect);
  const inside = (r: BoxPx, x: number, y: number) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
  for (let y = 0; y < frame.height; y += 1) {
    for (let x = 0; x < frame.width; x += 1) {
      if (bgr(pixels, frame.width, x, y).every((c) => c > 200)) assert.ok(rects.some((r) => inside(r, x, y)), `white ink at ${x},${y} outside every caption`);
    }
  }
  // The column between a displaced caption and its box holds the box colour (the leader line).
  const i = rects.findIndex((r, k) => r.y > faces[k].boxPx.y + faces[k].boxPx.height + 20 || r.y + r.height < faces[k].boxPx.y - 20);
  assert.ok(i >= 0, 'some caption is displaced in a row of six');
  const box = faces[i].boxPx;
  const [top, bottom] = rects[i].y > box.y ? [box.y + box.height + 3, rects[i].y] : [rects[i].y + rects[i].height, box.y - 3];
  const colour = trackColor(faces[i].trackId);
  let line = 0;
  for (let y = top; y < bottom; y += 1) {
    for (let x = box.x; x <= box.x + box.width; x += 1) if (bgr(pixels, frame.width, x, y).every((c, ch) => Math.abs(c - colour[ch]) < 40)) line += 1;
  }
  assert.ok(line >= (bottom - top) / 2, `leader pixels of track ${faces[i].trackId} between box and caption: ${line} over ${bottom - top} rows`);
});

test('caption text is about 2-3% of the frame height on 2048x1536 and still legible on 320x240', async () => {
  /** Height of the white ink in the caption's first columns: the stem of its capital H. */
  const capitalHeight = async (width: number, height: number, f: ClassifiedFace) => {
    const { store, pixels } = greyFrame(0, width, height);
    await run([classifications(0, [f], { width, height })], annotate({ frameStore: store }));
    const [{ rect }] = layoutCaptions([f], { width, height });
    const white = (x: number, y: number) => bgr(pixels, width, x, y).every((c) => c > 200);
    const ys = [...Array(rect.height).keys()].map((dy) => rect.y + dy);
    let left = rect.x;
    while (left < rect.x + rect.width && !ys.some((y) => white(left, y))) left += 1;
    const rows = ys.filter((y) => [0, 1, 2].some((dx) => white(left + dx, y)));
    return rows.length ? Math.max(...rows) - Math.min(...rows) + 1 : 0;
  };
  const large = await capitalHeight(2048, 1536, face(400, 700, 300));
  assert.ok(large >= 0.02 * 1536 && large <= 0.04 * 1536, `2048x1536 capital height ${large} px (${((large / 1536) * 100).toFixed(1)}%)`);
  const small = await capitalHeight(320, 240, face(40, 100, 60));
  assert.ok(small >= 7, `320x240 capital height ${small} px`);
});

test('frames of a stream that wants none drawn pass untouched, beside frames that are drawn', async () => {
  const { store, pixels } = greyFrame(0, 640, 450);
  store.put(frameKey(CAMERA, 1), Buffer.from(pixels));
  const skip = classifications(0, [face(100, 100, 120)]);
  const draw = classifications(1, [face(100, 100, 120)]);
  const before = Buffer.from(pixels);
  const out = await run([skip, draw], annotate({ frameStore: store, drawn: (msg) => msg.meta.seq === 1 }));
  assert.is(out[0], skip, 'the same message, not marked annotated');
  assert.ok(store.get(frameKey(CAMERA, 0)).equals(before), 'its pixels unchanged');
  assert.is((out[1] as ClassificationsMsg).annotated, true);
  assert.not.ok(store.get(frameKey(CAMERA, 1)).equals(before), 'the other frame was drawn');
});

test.run();
