import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../../training/augment/rng.ts';

const draw = (rng: Rng, n = 8) => Array.from({ length: n }, () => rng.nextUint32());

test('same seed, same stream; different seeds differ', () => {
  assert.equal(draw(new Rng(42)), draw(new Rng(42)));
  assert.not.equal(draw(new Rng(42)), draw(new Rng(43)));
  assert.not.equal(draw(new Rng(0)), draw(new Rng(2 ** 40)), 'high bits count');
  assert.equal(draw(new Rng('run-a')), draw(new Rng('run-a')));
  assert.not.equal(draw(new Rng('run-a')), draw(new Rng('run-b')));
});

test('uniform stays in range with a sensible mean', () => {
  const rng = new Rng(7);
  let sum = 0;
  for (let i = 0; i < 20000; i++) {
    const v = rng.uniform(-30, 30);
    assert.ok(v >= -30 && v < 30);
    sum += v;
  }
  assert.ok(Math.abs(sum / 20000) < 1, `mean ${sum / 20000}`);
  const ints = new Set(Array.from({ length: 1000 }, () => rng.int(5)));
  assert.equal([...ints].sort(), [0, 1, 2, 3, 4]);
});

test('fork depends on the seed and keys only, not on draws already made', () => {
  const parent = new Rng(1);
  const early = draw(parent.fork(3, 17));
  draw(parent, 100);
  assert.equal(draw(parent.fork(3, 17)), early);
  assert.equal(draw(new Rng(1).fork(3, 17)), early, 'another worker gets the same batch stream');
  assert.not.equal(draw(parent.fork(3, 18)), early);
  assert.not.equal(draw(parent.fork(17, 3)), early, 'key order matters');
  assert.not.equal(draw(new Rng(2).fork(3, 17)), early);
  assert.not.equal(draw(parent.fork(3)), draw(parent), 'child differs from parent');
});

test('shuffle is a deterministic permutation', () => {
  const a = new Rng(5).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
  const b = new Rng(5).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
  assert.equal(Array.from(a), Array.from(b));
  assert.equal(Array.from(a).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.not.equal(Array.from(a), Array.from({ length: 50 }, (_, i) => i));
});

test.run();
