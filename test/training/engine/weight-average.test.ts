import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WeightAverage } from '../../../training/engine/weight-average.ts';

const close = (got: Float32Array[] | null, want: number[][]) => {
  assert.ok(got);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-6, `[${i}][${j}] ${v} != ${want[i][j]}`)));
};

test('the mean of the snapshots added so far, tensor by tensor', () => {
  const avg = new WeightAverage();
  assert.is(avg.weights(), null);
  assert.is(avg.count, 0);
  avg.add([Float32Array.from([1, 2]), Float32Array.from([10])]);
  close(avg.weights(), [[1, 2], [10]]);
  avg.add([Float32Array.from([3, 4]), Float32Array.from([20])]);
  avg.add([Float32Array.from([5, -6]), Float32Array.from([60])]);
  assert.is(avg.count, 3);
  close(avg.weights(), [[3, 0], [30]]);
});

test('snapshots are copied in and out: changing them afterwards does not move the average', () => {
  const avg = new WeightAverage();
  const w = [Float32Array.from([1, 1])];
  avg.add(w);
  w[0][0] = 100;
  const out = avg.weights()!;
  out[0][1] = -100;
  close(avg.weights(), [[1, 1]]);
});

test('resumes from a saved mean and count as if never interrupted', () => {
  const whole = new WeightAverage();
  const snaps = [[2, 4], [4, 8], [9, 0]].map((v) => [Float32Array.from(v)]);
  for (const s of snaps) whole.add(s);
  const first = new WeightAverage();
  first.add(snaps[0]);
  first.add(snaps[1]);
  const resumed = new WeightAverage({ count: first.count, weights: first.weights()! });
  resumed.add(snaps[2]);
  assert.is(resumed.count, 3);
  close(resumed.weights(), Array.from(whole.weights()!, (w) => Array.from(w)));
});

test('a snapshot of other shapes is refused, naming the mismatch', () => {
  const avg = new WeightAverage();
  avg.add([Float32Array.from([1, 2])]);
  assert.throws(() => avg.add([Float32Array.from([1, 2, 3])]), /does not match/);
  assert.throws(() => avg.add([Float32Array.from([1, 2]), Float32Array.from([1])]), /2 tensors, average has 1/);
  assert.is(avg.count, 1);
});

test.run();
