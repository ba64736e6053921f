import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { intersects, placeCaptions, type CaptionRequest, type FrameSize } from '../../../pipeline/stages/caption-layout.ts';

const OPTIONS = { gap: 2, spacing: 2 };
const VGA = { width: 640, height: 480 };

const box = (x: number, y: number, side: number): BoxPx => ({ x, y, width: side, height: side });
const request = (b: BoxPx, width = 200, height = 30): CaptionRequest => ({ box: b, width, height });

/** Fails with the offending pair or rectangle unless the captions are disjoint and inside the frame. */
function assertDisjointInside(rects: BoxPx[], frame: FrameSize): void {
  rects.forEach((r, i) => {
    assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= frame.width && r.y + r.height <= frame.height, `caption ${i} ${JSON.stringify(r)} leaves ${frame.width}x${frame.height}`);
    for (let j = i + 1; j < rects.length; j += 1) assert.not.ok(intersects(r, rects[j]), `captions ${i} and ${j} intersect: ${JSON.stringify([r, rects[j]])}`);
  });
}

/** A small seeded PRNG (mulberry32), so a failing random layout can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('intersects: sharing a pixel intersects, touching edges do not', () => {
  assert.ok(intersects({ x: 0, y: 0, width: 10, height: 10 }, { x: 9, y: 9, width: 5, height: 5 }));
  assert.not.ok(intersects({ x: 0, y: 0, width: 10, height: 10 }, { x: 10, y: 0, width: 5, height: 5 }));
  assert.not.ok(intersects({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 10, width: 5, height: 5 }));
});

test('a lone caption sits just above its box, or just inside its top when there is no room above', () => {
  assert.equal(placeCaptions([request(box(100, 200, 80))], VGA, OPTIONS), [{ x: 100, y: 168, width: 200, height: 30 }]);
  assert.equal(placeCaptions([request(box(100, 10, 80))], VGA, OPTIONS), [{ x: 100, y: 12, width: 200, height: 30 }]);
});

test('a caption near the right edge is shifted left into the frame', () => {
  assert.equal(placeCaptions([request(box(560, 200, 80))], VGA, OPTIONS), [{ x: 440, y: 168, width: 200, height: 30 }]);
});

test('when the spot above is taken the caption goes below its box; results keep the input order', () => {
  // Listed right face first: the upper-left face is still placed first and keeps the spot above.
  const rects = placeCaptions([request(box(180, 205, 80)), request(box(100, 200, 80))], VGA, OPTIONS);
  assert.equal(rects[1], { x: 100, y: 168, width: 200, height: 30 });
  assert.equal(rects[0], { x: 180, y: 287, width: 200, height: 30 });
});

test('a caption avoids covering the face right above it', () => {
  // 20 px between the faces: the lower face's caption above would cover the upper face.
  const rects = placeCaptions([request(box(100, 100, 80)), request(box(100, 200, 80))], VGA, OPTIONS);
  assert.equal(rects[0].y, 68);
  assert.equal(rects[1].y, 282, 'below the lower face');
  assertDisjointInside(rects, VGA);
});

test('six faces in a row with wide captions: disjoint, inside the frame, stacked near their faces', () => {
  const requests = [0, 1, 2, 3, 4, 5].map((i) => request(box(40 + i * 96, 200, 90), 300, 38));
  const rects = placeCaptions(requests, VGA, OPTIONS);
  assertDisjointInside(rects, VGA);
  assert.equal(rects[0], { x: 40, y: 160, width: 300, height: 38 }, 'the first keeps the spot above');
  for (const r of rects) assert.ok(r.y > 200 - 4 * 40 && r.y < 290 + 4 * 40, `${JSON.stringify(r)} strays from the row`);
});

test('random crowds: captions never intersect and stay inside the frame', () => {
  const next = random(7);
  for (let trial = 0; trial < 200; trial += 1) {
    const frame = trial % 2 ? VGA : { width: 2048, height: 1536 };
    const k = frame.height / 480;
    const n = 1 + Math.floor(next() * 8);
    const requests = Array.from({ length: n }, () => {
      const side = Math.round((40 + next() * 80) * k);
      const b = box(Math.floor(next() * (frame.width - side)), Math.floor(next() * (frame.height - side)), side);
      return request(b, Math.round((120 + next() * 180) * k), Math.round(38 * k));
    });
    assertDisjointInside(placeCaptions(requests, frame, OPTIONS), frame);
  }
});

test('a frame too small for every caption still gets one rectangle per face, inside the frame', () => {
  const frame = { width: 200, height: 60 };
  const rects = placeCaptions([0, 1, 2, 3].map((i) => request(box(i * 50, 20, 30), 150, 30)), frame, OPTIONS);
  assert.is(rects.length, 4);
  for (const r of rects) assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= 200 && r.y + r.height <= 60, JSON.stringify(r));
});

test.run();
