import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchBuilder, NOTEBOOK_AUGMENTATION } from '../../../training/engine/batch-builder.ts';

const size = 12;
const classes = 3;
const count = 6;
const area = size * size;
// Image i: a gradient offset by 40*i, so every image and every row differs.
const pixels = new Uint8Array(count * area).map((_, p) => (Math.floor(p / area) * 40 + (p % area)) % 256);
// One-hot for images 0..3, vote shares for 4 and 5 (FER+ distribution targets).
const targets = new Float32Array([
  1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0,
  0.5, 0.25, 0.25,
  0, 0.75, 0.25,
]);

function builder(overrides: Partial<ConstructorParameters<typeof BatchBuilder>[0]> = {}): BatchBuilder {
  return new BatchBuilder({ pixels, targets, size, classes, classWeights: null, augment: null, ...overrides });
}

test('without augmentation: images rescaled to 0..1 in index order, targets copied in the same order', () => {
  const indices = Int32Array.from([4, 0, 5, 2]);
  const batch = builder().build(indices, 1);
  assert.is(batch.count, 4);
  assert.is(batch.sampleWeights, undefined);
  indices.forEach((src, i) => {
    for (let k = 0; k < area; k++) {
      assert.is(batch.xs[i * area + k], Math.fround(pixels[src * area + k] / 255), `image ${i} pixel ${k}`);
    }
    assert.equal(Array.from(batch.ys.subarray(i * classes, (i + 1) * classes)), Array.from(targets.subarray(src * classes, (src + 1) * classes)), `target row ${i}`);
  });
});

test('class weights: one weight per sample, the target-weighted class weight (soft targets mix them)', () => {
  const cw = [2, 0.5, 4];
  const batch = builder({ classWeights: cw }).build(Int32Array.from([1, 2, 0, 4, 5]), 1);
  const expected = [0.5, 4, 2, 0.5 * 2 + 0.25 * 0.5 + 0.25 * 4, 0.75 * 0.5 + 0.25 * 4];
  assert.ok(batch.sampleWeights, 'sample weights present');
  expected.forEach((w, i) => assert.ok(Math.abs(batch.sampleWeights![i] - w) < 1e-6, `sample ${i}: ${batch.sampleWeights![i]} vs ${w}`));
});

test('augmentation is seeded: same seed, same batch bit for bit; another seed, another batch', () => {
  const indices = Int32Array.from([0, 1, 2, 3]);
  const a = Float32Array.from(builder({ augment: NOTEBOOK_AUGMENTATION }).build(indices, 77).xs.subarray(0, 4 * area));
  const b = Float32Array.from(builder({ augment: NOTEBOOK_AUGMENTATION }).build(indices, 77).xs.subarray(0, 4 * area));
  const c = Float32Array.from(builder({ augment: NOTEBOOK_AUGMENTATION }).build(indices, 78).xs.subarray(0, 4 * area));
  const plain = builder().build(indices, 77).xs.subarray(0, 4 * area);
  assert.equal(Array.from(a), Array.from(b));
  assert.is.not(Array.from(a).join(), Array.from(c).join(), 'different seed, different augmentation');
  assert.is.not(Array.from(a).join(), Array.from(plain).join(), 'augmentation changes the images');
  assert.ok(a.every((v) => v >= 0 && v <= 1), 'still rescaled to 0..1');
});

test('buffers are reused: a smaller batch after a larger one is exact in its first count rows', () => {
  const b = builder({ classWeights: [1, 2, 3] });
  b.build(Int32Array.from([0, 1, 2, 3, 4, 5]), 1);
  const small = b.build(Int32Array.from([3]), 1);
  assert.is(small.count, 1);
  assert.is(small.xs[0], Math.fround(pixels[3 * area] / 255));
  assert.equal(Array.from(small.ys.subarray(0, classes)), [0, 1, 0]);
  assert.is(small.sampleWeights![0], 2);
  const larger = b.build(Int32Array.from([5, 4, 3, 2, 1, 0, 5, 4]), 1);
  assert.is(larger.count, 8);
  assert.equal(Array.from(larger.ys.subarray(7 * classes, 8 * classes)), Array.from(targets.subarray(4 * classes, 5 * classes)));
});

test('an index outside the dataset is a RangeError, not garbage', () => {
  assert.throws(() => builder().build(Int32Array.from([0, count]), 1), (err: Error) => err instanceof RangeError && /outside/.test(err.message));
});

test.run();
