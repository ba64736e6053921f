import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { niceTicks } from '../../../training/report/nice-ticks.ts';

test('covers the range with 1-2-5 steps', () => {
  assert.equal(niceTicks(0.249, 0.573, 5), { min: 0.2, max: 0.6, step: 0.05, ticks: [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6], decimals: 2 });
  assert.equal(niceTicks(1.1, 1.73, 5).ticks, [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8]);
  assert.equal(niceTicks(0, 1000, 5).ticks, [0, 200, 400, 600, 800, 1000]);
});

test('integer axes never step below 1 (epochs)', () => {
  assert.equal(niceTicks(1, 3, 6, true).ticks, [1, 2, 3]);
  assert.equal(niceTicks(1, 30, 6, true).ticks, [0, 5, 10, 15, 20, 25, 30]);
  assert.is(niceTicks(1, 30, 6, true).decimals, 0);
});

test('ticks carry no float noise', () => {
  for (const t of niceTicks(0.1, 0.7, 6).ticks) assert.is(String(t).length <= 4, true, String(t));
});

test('an empty range is widened around the value', () => {
  const flat = niceTicks(0.5, 0.5);
  assert.ok(flat.min < 0.5 && flat.max > 0.5);
  assert.equal(niceTicks(0, 0).ticks.at(0)! < 0, true);
  assert.equal(niceTicks(4, 4, 5, true).ticks, [3, 4, 5]);
});

test('rejects a bad range', () => {
  assert.throws(() => niceTicks(NaN, 1), /bad range/);
  assert.throws(() => niceTicks(2, 1), /bad range/);
});

test.run();
