import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learningRateAt, type LrSchedule } from '../../../training/engine/lr-schedule.ts';

const s: LrSchedule = { baseLr: 2e-3, minLr: 2e-5, warmupEpochs: 1, epochs: 11 };
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('warm-up: linear from 5% of the base rate up to the base rate', () => {
  close(learningRateAt(s, 0), 0.05 * s.baseLr, 'start (floor at 5%)');
  close(learningRateAt(s, 0.01), 0.05 * s.baseLr, 'floor holds early on');
  close(learningRateAt(s, 0.5), 0.5 * s.baseLr, 'half way');
  close(learningRateAt(s, 0.999999), 0.999999 * s.baseLr, 'just before the end');
});

test('cosine decay from the base rate at the end of warm-up to minLr at the last epoch', () => {
  close(learningRateAt(s, 1), s.baseLr, 'end of warm-up');
  close(learningRateAt(s, 6), s.minLr + 0.5 * (s.baseLr - s.minLr), 'half way through the decay');
  close(learningRateAt(s, 11), s.minLr, 'last epoch');
  close(learningRateAt(s, 50), s.minLr, 'past the end stays at minLr');
});

test('continuous and never increasing after warm-up, evaluated per step', () => {
  let prev = Infinity;
  for (let t = 1; t <= 11; t += 1 / 37) {
    const lr = learningRateAt(s, t);
    assert.ok(lr <= prev + 1e-15, `lr rises at t=${t}`);
    assert.ok(lr >= s.minLr - 1e-15 && lr <= s.baseLr + 1e-15);
    prev = lr;
  }
  const eps = 1e-9;
  assert.ok(Math.abs(learningRateAt(s, 1 - eps) - learningRateAt(s, 1 + eps)) < 1e-9, 'no jump at the end of warm-up');
});

test('no warm-up: starts at the base rate; warm-up as long as the run: stays on the ramp, then minLr', () => {
  close(learningRateAt({ ...s, warmupEpochs: 0 }, 0), s.baseLr, 'no warm-up');
  const all = { ...s, warmupEpochs: 3, epochs: 3 };
  close(learningRateAt(all, 1.5), 0.5 * s.baseLr, 'on the ramp');
  assert.ok(Number.isFinite(learningRateAt(all, 3)));
  close(learningRateAt(all, 3.5), s.minLr, 'after the end');
});

test.run();
