import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyTransform } from '../../../training/augment/apply-transform.ts';
import { IDENTITY_TRANSFORM, type AffineTransform } from '../../../training/augment/affine-transform.ts';

const N = 6;
/** Distinct values so any misplaced pixel shows. */
const SRC = Uint8Array.from({ length: N * N }, (_, i) => (i * 7 + 3) % 251);
const at = (src: Uint8Array, y: number, x: number) => src[y * N + x];
const clamp = (v: number) => Math.min(N - 1, Math.max(0, v));

function run(t: Partial<AffineTransform>, src = SRC, size = N): number[] {
  const out = new Float32Array(size * size);
  applyTransform(src, size, { ...IDENTITY_TRANSFORM, ...t }, out);
  return Array.from(out);
}
function expected(f: (y: number, x: number) => number): number[] {
  return Array.from({ length: N * N }, (_, i) => Math.fround(f(Math.floor(i / N), i % N) / 255));
}

test('identity returns the input / 255', () => {
  assert.equal(run({}), Array.from(SRC, (v) => Math.fround(v / 255)));
});

test('horizontal flip mirrors exactly', () => {
  assert.equal(run({ flipHorizontal: true }), expected((y, x) => at(SRC, y, N - 1 - x)));
});

test('integer shifts move pixels by exactly that amount, edges filled with the nearest pixel', () => {
  assert.equal(run({ tx: 2 }), expected((y, x) => at(SRC, y, clamp(x + 2))));
  assert.equal(run({ ty: -3 }), expected((y, x) => at(SRC, clamp(y - 3), x)));
  assert.equal(run({ tx: -1, ty: 1 }), expected((y, x) => at(SRC, clamp(y + 1), clamp(x - 1))));
});

test('90-degree rotations of a square image equal the rotated array (numpy rot90 for +90)', () => {
  assert.equal(run({ theta: 90 }), expected((y, x) => at(SRC, x, N - 1 - y)));
  assert.equal(run({ theta: -90 }), expected((y, x) => at(SRC, N - 1 - x, y)));
  assert.equal(run({ theta: 180 }), expected((y, x) => at(SRC, N - 1 - y, N - 1 - x)));
  assert.equal(run({ theta: 90, flipHorizontal: true }), expected((y, x) => at(SRC, N - 1 - x, N - 1 - y)), 'flip applies after the affine part');
});

test('a half-pixel shift interpolates linearly', () => {
  assert.equal(run({ tx: 0.5 }), expected((y, x) => (at(SRC, y, x) + at(SRC, y, clamp(x + 1))) / 2));
});

test('zoom about the centre: zx = 2 samples every other column', () => {
  const size = 5;
  const src = Uint8Array.from({ length: 25 }, (_, i) => i * 10);
  const out = run({ zx: 2 }, src, size);
  // input x = 2 * (x - 2) + 2 -> columns -2, 0, 2, 4, 6 clamp to 0, 0, 2, 4, 4.
  assert.equal(out.slice(5, 10).map((v) => Math.round(v * 255)), [50, 50, 70, 90, 90]);
});

/**
 * Keras' definition, written independently with 3x3 matrices: input = C * R * T * Shear * Zoom * C^-1 * output
 * in (x = column, y = row), C = translation by (size - 1) / 2. On a linear ramp image bilinear
 * interpolation is exact, so the output value tells where each pixel sampled the input.
 */
function kerasInputCoords(t: AffineTransform, size: number, x: number, y: number): [number, number] {
  const mul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
  const th = (t.theta * Math.PI) / 180;
  const sh = (t.shear * Math.PI) / 180;
  const o = (size - 1) / 2;
  const m = [
    [[1, 0, o], [0, 1, o], [0, 0, 1]],
    [[Math.cos(th), -Math.sin(th), 0], [Math.sin(th), Math.cos(th), 0], [0, 0, 1]],
    [[1, 0, t.tx], [0, 1, t.ty], [0, 0, 1]],
    [[1, -Math.sin(sh), 0], [0, Math.cos(sh), 0], [0, 0, 1]],
    [[t.zx, 0, 0], [0, t.zy, 0], [0, 0, 1]],
    [[1, 0, -o], [0, 1, -o], [0, 0, 1]],
  ].reduce(mul);
  return [m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]];
}

test('a composed transform samples where Keras\' matrix says (rotation, shift, shear, zoom about the centre)', () => {
  const size = 48;
  const ramp = Uint8Array.from({ length: size * size }, (_, i) => 2 * (i % size) + 3 * Math.floor(i / size));
  const t: AffineTransform = { theta: 17, tx: 3.3, ty: -2.1, shear: 11, zx: 0.9, zy: 1.15, flipHorizontal: false };
  const out = run(t, ramp, size);
  let checked = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [ix, iy] = kerasInputCoords(t, size, x, y);
      if (ix < 0 || iy < 0 || ix > size - 1 || iy > size - 1) continue;
      assert.ok(Math.abs(out[y * size + x] * 255 - (2 * ix + 3 * iy)) < 1e-3, `pixel ${x},${y}`);
      checked++;
    }
  }
  assert.ok(checked > size * size * 0.6, `checked ${checked}`);
});

test.run();
