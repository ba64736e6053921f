import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededPermutation } from '../../../training/engine/seeded-shuffle.ts';

function isPermutation(order: Int32Array, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const i of order) {
    if (i < 0 || i >= n || seen[i]) return false;
    seen[i] = 1;
  }
  return true;
}

test('a permutation of 0..n-1 for every size, including 0 and 1', () => {
  for (const n of [0, 1, 2, 3, 7, 64, 1000]) {
    for (const [seed, epoch] of [[1, 0], [1, 5], [42, 3], [0, 0]]) {
      assert.ok(isPermutation(seededPermutation(n, seed, epoch), n), `n=${n} seed=${seed} epoch=${epoch}`);
    }
  }
});

test('deterministic per (seed, epoch): a resumed run replays the same order', () => {
  assert.equal(Array.from(seededPermutation(500, 7, 3)), Array.from(seededPermutation(500, 7, 3)));
});

test('differs across epochs and across seeds, and actually shuffles', () => {
  const n = 200;
  const key = (seed: number, epoch: number) => seededPermutation(n, seed, epoch).join(',');
  const epochs = new Set(Array.from({ length: 20 }, (_, e) => key(1, e)));
  assert.is(epochs.size, 20, 'every epoch has its own order');
  assert.is.not(key(1, 0), key(2, 0), 'seeds differ');
  const order = seededPermutation(n, 1, 0);
  const fixed = order.filter((v, i) => v === i).length;
  assert.ok(fixed < 10, `${fixed} of ${n} items stayed in place`);
  // First position is not stuck on one value across epochs.
  const firsts = new Set(Array.from({ length: 20 }, (_, e) => seededPermutation(n, 1, e)[0]));
  assert.ok(firsts.size > 10, `only ${firsts.size} distinct first items over 20 epochs`);
});

test.run();
