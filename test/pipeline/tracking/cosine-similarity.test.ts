import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cosineSimilarity } from '../../../pipeline/tracking/cosine-similarity.ts';

test('cosineSimilarity: 1 for the same direction, -1 opposite, 0 orthogonal or all-zero; lengths must match', () => {
  const a = Float32Array.of(1, 2, 3);
  assert.ok(Math.abs(cosineSimilarity(a, Float32Array.of(2, 4, 6)) - 1) < 1e-9);
  assert.ok(Math.abs(cosineSimilarity(a, Float32Array.of(-1, -2, -3)) + 1) < 1e-9);
  assert.is(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(0, 1)), 0);
  assert.is(cosineSimilarity(Float32Array.of(0, 0), Float32Array.of(0, 1)), 0);
  assert.throws(() => cosineSimilarity(a, Float32Array.of(1, 2)), /differ in length/);
});

test.run();
