import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { augmentBatch, noAugment, rescaleBatch } from '../../../training/augment/random-affine.ts';
import { Rng } from '../../../training/augment/rng.ts';
import type { AugmentParams } from '../../../training/augment/augment-params.ts';

const NOTEBOOK: AugmentParams = { rotationRange: 30, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true, fillMode: 'nearest' };
const NONE: AugmentParams = { rotationRange: 0, widthShiftRange: 0, heightShiftRange: 0, shearRange: 0, zoomRange: 0, horizontalFlip: false, fillMode: 'nearest' };
const SIZE = 48;
const AREA = SIZE * SIZE;
const PIXELS = Uint8Array.from({ length: 100 * AREA }, (_, i) => (i * 31 + (i >> 7)) & 255);
const INDICES = Int32Array.from({ length: 64 }, (_, i) => (i * 37) % 100);

test('seeded: same seed -> same batch, different seed -> different batch', () => {
  const a = augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(1), params: NOTEBOOK });
  const b = augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(1), params: NOTEBOOK });
  const c = augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(2), params: NOTEBOOK });
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
  assert.ok(a.every((v) => v >= 0 && v <= 1));
});

test('no augmentation settings and noAugment both give the images / 255 in batch order', () => {
  const expected = Array.from(INDICES).flatMap((i) => Array.from(PIXELS.subarray(i * AREA, (i + 1) * AREA), (v) => Math.fround(v / 255)));
  assert.equal(Array.from(augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(1), params: NONE })), expected);
  assert.equal(Array.from(noAugment({ pixels: PIXELS, size: SIZE, indices: INDICES })), expected);
  assert.is(noAugment, rescaleBatch);
});

test('flip only: every image is either itself or its mirror, about half mirrored', () => {
  const out = augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(4), params: { ...NONE, horizontalFlip: true } });
  let mirrored = 0;
  INDICES.forEach((index, i) => {
    const src = PIXELS.subarray(index * AREA, (index + 1) * AREA);
    const got = out.subarray(i * AREA, (i + 1) * AREA);
    const same = got.every((v, k) => v === Math.fround(src[k] / 255));
    const mirror = got.every((v, k) => v === Math.fround(src[Math.floor(k / SIZE) * SIZE + (SIZE - 1 - (k % SIZE))] / 255));
    assert.ok(same || mirror, `image ${i}`);
    if (!same) mirrored++;
  });
  assert.ok(mirrored > 16 && mirrored < 48, `mirrored ${mirrored}`);
});

test('reuses the given output array and refuses one too small or an index out of range', () => {
  const out = new Float32Array(70 * AREA);
  assert.is(augmentBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, rng: new Rng(1), params: NOTEBOOK, out }), out);
  assert.is(rescaleBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, out }), out);
  assert.throws(() => rescaleBatch({ pixels: PIXELS, size: SIZE, indices: INDICES, out: new Float32Array(10) }), /needs/);
  assert.throws(() => rescaleBatch({ pixels: PIXELS, size: SIZE, indices: [100] }), /outside the 100 images/);
});

// Speed depends on the machine, so it is measured, not asserted: npm run bench:train reports augment_ms_per_batch.

test.run();
