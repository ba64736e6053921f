import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argmaxRows } from '../../../training/metrics/argmax-rows.ts';

test('picks the largest value of each row', () => {
  const probs = Float32Array.from([
    0.1, 0.7, 0.2,
    0.6, 0.3, 0.1,
    0.0, 0.1, 0.9,
    0.2, 0.2, 0.6,
  ]);
  assert.equal([...argmaxRows(probs, 3)], [1, 0, 2, 2]);
});

test('ties go to the lowest index, like numpy', () => {
  assert.equal([...argmaxRows(Float32Array.from([0.4, 0.4, 0.2, 0.1, 0.3, 0.3]), 3)], [0, 1]);
});

test('handles negative scores (logits), one class and no rows', () => {
  assert.equal([...argmaxRows(Float32Array.from([-3, -1, -2]), 3)], [1]);
  assert.equal([...argmaxRows(Float32Array.from([5, 6]), 1)], [0, 0]);
  assert.is(argmaxRows(new Float32Array(0), 7).length, 0);
});

test('rejects a length that is not a whole number of rows, and bad class counts', () => {
  assert.throws(() => argmaxRows(new Float32Array(8), 7), /whole number of rows/);
  assert.throws(() => argmaxRows(new Float32Array(0), 0), /1\.\.256/);
  assert.throws(() => argmaxRows(new Float32Array(0), 257), /1\.\.256/);
  assert.throws(() => argmaxRows(new Float32Array(0), 2.5), /1\.\.256/);
});

test.run();
