import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampleTransform } from '../../../training/augment/sample-transform.ts';
import { Rng } from '../../../training/augment/rng.ts';
import type { AugmentParams } from '../../../training/augment/augment-params.ts';

const NOTEBOOK: AugmentParams = { rotationRange: 30, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true, fillMode: 'nearest' };

test('the notebook settings: ranges in degrees, fractions of 48 px, zoom 0.8..1.2, about half flipped', () => {
  const rng = new Rng(11);
  const seen = { theta: [Infinity, -Infinity], tx: [Infinity, -Infinity], shear: [Infinity, -Infinity], zx: [Infinity, -Infinity] };
  let flips = 0;
  for (let i = 0; i < 4000; i++) {
    const t = sampleTransform(rng, NOTEBOOK, 48);
    for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] = [Math.min(seen[k][0], t[k]), Math.max(seen[k][1], t[k])];
    assert.ok(Math.abs(t.ty) <= 9.6 && t.zy >= 0.8 && t.zy <= 1.2);
    flips += t.flipHorizontal ? 1 : 0;
  }
  const within = (range: number[], lo: number, hi: number) => range[0] >= lo && range[1] <= hi && range[0] < lo * 0.95 + hi * 0.05 && range[1] > hi * 0.95 + lo * 0.05;
  assert.ok(within(seen.theta, -30, 30), `theta ${seen.theta}`);
  assert.ok(within(seen.tx, -9.6, 9.6), `tx ${seen.tx}`);
  assert.ok(within(seen.shear, -0.2, 0.2), `shear ${seen.shear} (degrees, as Keras)`);
  assert.ok(within(seen.zx, 0.8, 1.2), `zx ${seen.zx}`);
  assert.ok(flips > 1800 && flips < 2200, `flips ${flips}`);
});

test('shifts >= 1 are pixels; zoom pairs are [lo, hi]; no flip unless enabled', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 500; i++) {
    const t = sampleTransform(rng, { ...NOTEBOOK, widthShiftRange: 4, zoomRange: [1, 1.5], horizontalFlip: false }, 48);
    assert.ok(Math.abs(t.tx) <= 4 && t.zx >= 1 && t.zx <= 1.5 && !t.flipHorizontal);
  }
});

test('same rng state, same transform', () => {
  assert.equal(sampleTransform(new Rng(9), NOTEBOOK, 48), sampleTransform(new Rng(9), NOTEBOOK, 48));
});

test.run();
