import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Resequencer } from '../../../pipeline/runners/resequencer.ts';

const positions = (r: { released: [number, string][] }) => r.released.map(([p]) => p);

test('in-order items are released at once', () => {
  const r = new Resequencer<string>(-1, 8);
  assert.equal(positions(r.offer(-1, 'start')), [-1]);
  assert.equal(positions(r.offer(0, 'a')), [0]);
  assert.is(r.next, 1);
});

test('out-of-order items wait for the missing one, then all go in order', () => {
  const r = new Resequencer<string>(0, 8);
  assert.equal(positions(r.offer(2, 'c')), []);
  assert.equal(positions(r.offer(1, 'b')), []);
  assert.is(r.pending, 2);
  const out = r.offer(0, 'a');
  assert.equal(out.released, [[0, 'a'], [1, 'b'], [2, 'c']]);
  assert.is(r.pending, 0);
});

test('a redelivered item is a duplicate, whether released already or still waiting', () => {
  const r = new Resequencer<string>(0, 8);
  r.offer(0, 'a');
  r.offer(2, 'c');
  assert.ok(r.offer(0, 'a again').duplicate);
  assert.ok(r.offer(2, 'c again').duplicate);
  assert.is(r.duplicates, 2);
  assert.equal(r.offer(1, 'b').released.map(([, v]) => v), ['b', 'c']);
});

test('the window bounds waiting items: the oldest gap is given up and counted as lost', () => {
  const r = new Resequencer<string>(0, 2);
  r.offer(1, 'b');
  r.offer(2, 'c');
  const out = r.offer(3, 'd');
  assert.equal(positions(out), [1, 2, 3]);
  assert.is(r.lost, 1);
  assert.ok(r.offer(0, 'late a').duplicate, 'a position given up on is never released later');
});

test('skipGap after a timeout releases what waits behind the gap', () => {
  const r = new Resequencer<string>(5, 100);
  r.offer(8, 'x');
  r.offer(9, 'y');
  assert.equal(r.skipGap().map(([p]) => p), [8, 9]);
  assert.is(r.lost, 3);
  assert.equal(r.skipGap(), []);
});

test.run();
