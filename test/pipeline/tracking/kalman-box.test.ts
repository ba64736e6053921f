import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { KalmanBoxFilter } from '../../../pipeline/tracking/kalman-box.ts';

/** Largest per-field difference between two boxes (px). */
function maxDiff(a: BoxPx, b: BoxPx): number {
  return Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y), Math.abs(a.width - b.width), Math.abs(a.height - b.height));
}

/** A box moving at constant velocity (px per ms) and growing at a constant rate. */
function movingBox(tMs: number): BoxPx {
  return { x: 100 + 0.09 * tMs, y: 200 - 0.045 * tMs, width: 80 + 0.015 * tMs, height: 90 + 0.015 * tMs };
}

function feed(filter: KalmanBoxFilter, fps: number, frames: number, at: (tMs: number) => BoxPx): number {
  let t = 0;
  for (let k = 1; k < frames; k++) {
    t = (k * 1000) / fps;
    filter.update(at(t), t);
  }
  return t;
}

test('constant velocity: predicted ahead within 2 px after a few updates, at 15 and at 30 fps', () => {
  for (const fps of [15, 30]) {
    const filter = new KalmanBoxFilter(movingBox(0), 0);
    const last = feed(filter, fps, 8, movingBox);
    const ahead = last + 200; // 3 to 6 frames on
    const err = maxDiff(filter.predict(ahead), movingBox(ahead));
    assert.ok(err < 2, `${fps} fps: predicted ${JSON.stringify(filter.predict(ahead))} vs ${JSON.stringify(movingBox(ahead))}`);
    // A filter that ignored velocity would be off by 0.09 px/ms * 200 ms = 18 px.
    assert.ok(maxDiff(filter.box(), movingBox(ahead)) > 10);
  }
});

test('a still box stays put, even predicted far ahead', () => {
  const still: BoxPx = { x: 40, y: 60, width: 100, height: 120 };
  const filter = new KalmanBoxFilter(still, 0);
  feed(filter, 30, 30, () => still);
  assert.ok(maxDiff(filter.box(), still) < 1e-6);
  assert.ok(maxDiff(filter.predict(10_000), still) < 1e-6);
});

test('predict does not mutate: same time twice gives the same box, and updates are unaffected', () => {
  const probed = new KalmanBoxFilter(movingBox(0), 0);
  const plain = new KalmanBoxFilter(movingBox(0), 0);
  for (let k = 1; k < 10; k++) {
    const t = k * 33;
    const first = probed.predict(t);
    probed.predict(t + 500);
    probed.predict(t - 20);
    assert.equal(probed.predict(t), first);
    probed.update(movingBox(t), t);
    plain.update(movingBox(t), t);
  }
  assert.equal(probed.box(), plain.box());
  assert.equal(probed.predict(700), plain.predict(700));
});

test('dt comes from timestamps: an irregular frame gap is extrapolated by its length', () => {
  const filter = new KalmanBoxFilter(movingBox(0), 0);
  for (const t of [30, 70, 95, 140, 210, 230, 300]) filter.update(movingBox(t), t);
  assert.ok(maxDiff(filter.predict(450), movingBox(450)) < 2);
});

test('predicted width and height never go below 1', () => {
  // Shrinks about a fixed centre (110, 110) at 0.1 px/ms: zero size after 200 ms.
  const shrinking = (t: number): BoxPx => ({ x: 100 + 0.05 * t, y: 100 + 0.05 * t, width: 20 - 0.1 * t, height: 20 - 0.1 * t });
  const filter = new KalmanBoxFilter(shrinking(0), 0);
  feed(filter, 30, 5, shrinking);
  const far = filter.predict(5_000);
  assert.ok(far.width >= 1 && far.height >= 1, JSON.stringify(far));
  // Clamping keeps the centre where the filter puts it.
  assert.ok(Math.abs(far.x + far.width / 2 - 110) < 1 && Math.abs(far.y + far.height / 2 - 110) < 1, JSON.stringify(far));
});

test('time going backwards is treated as dt 0: no jump, no NaN, the estimate time never decreases', () => {
  const still: BoxPx = { x: 10, y: 10, width: 50, height: 50 };
  const filter = new KalmanBoxFilter(still, 1000);
  filter.update(still, 1033);
  filter.update({ ...still, x: 12 }, 900);
  assert.is(filter.timeMs, 1033);
  assert.equal(filter.predict(500), filter.predict(1033));
  const b = filter.box();
  assert.ok([b.x, b.y, b.width, b.height].every(Number.isFinite));
  assert.ok(b.x > 10 && b.x < 12, JSON.stringify(b));
});

test('returns floats (the caller rounds)', () => {
  const filter = new KalmanBoxFilter({ x: 0, y: 0, width: 41, height: 41 }, 0);
  filter.update({ x: 3, y: 0, width: 41, height: 41 }, 33);
  assert.not.ok(Number.isInteger(filter.box().x));
});

test('rejects boxes without a positive finite size and non-finite times, without changing state', () => {
  const filter = new KalmanBoxFilter({ x: 0, y: 0, width: 10, height: 10 }, 0);
  const before = filter.box();
  assert.throws(() => filter.update({ x: 0, y: 0, width: 0, height: 10 }, 33), RangeError);
  assert.throws(() => filter.update({ x: Number.NaN, y: 0, width: 10, height: 10 }, 33), RangeError);
  assert.throws(() => filter.predict(Number.NaN), RangeError);
  assert.throws(() => new KalmanBoxFilter({ x: 0, y: 0, width: 10, height: 10 }, 0, { measurement: 0 }), RangeError);
  assert.equal(filter.box(), before);
  assert.is(filter.timeMs, 0);
});

test.run();
