import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingGradients } from '../../../training/engine/wasm-gradients.ts';

/** Seeded input data so both backends see identical numbers. */
function data(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    values[i] = s / 2147483648 - 0.5;
  }
  return { shape, values };
}

type Case = (vars: tf.Tensor[]) => tf.Scalar;

/** Gradients of `f` wrt every input, on the named backend. */
async function gradsOn(backend: string, f: Case, inputs: ReturnType<typeof data>[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts = inputs.map((d) => tf.tensor(d.values, d.shape));
    const g = tf.grads((...xs: tf.Tensor[]) => f(xs))(ts);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

async function assertSameGrads(name: string, f: Case, inputs: ReturnType<typeof data>[]): Promise<void> {
  const ref = await gradsOn('cpu', f, inputs);
  registerTrainingGradients('wasm');
  const got = await gradsOn('wasm', f, inputs);
  ref.forEach((r, i) => {
    assert.is(got[i].length, r.length, `${name}: grad ${i} size`);
    let maxErr = 0;
    let maxRef = 0;
    for (let k = 0; k < r.length; k++) {
      maxErr = Math.max(maxErr, Math.abs(r[k] - got[i][k]));
      maxRef = Math.max(maxRef, Math.abs(r[k]));
    }
    assert.ok(maxRef > 0, `${name}: reference grad ${i} is not all zero`);
    assert.ok(maxErr <= 1e-3 * Math.max(1, maxRef), `${name}: grad ${i} differs by ${maxErr} (scale ${maxRef})`);
  });
}

test.before(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

const weights = (dy: number[]) => data(dy, 99);

for (const [pad, stride, k] of [['same', 1, 3], ['valid', 1, 3], ['same', 2, 3], ['valid', 2, 3], ['same', 1, 5]] as const) {
  test(`conv2d ${k}x${k} stride ${stride} pad ${pad}: filter and input gradients match cpu`, async () => {
    const x = data([3, 9, 10, 4], 7);
    const w = data([k, k, 4, 6], 11);
    const outH = pad === 'same' ? Math.ceil(9 / stride) : Math.ceil((9 - k + 1) / stride);
    const outW = pad === 'same' ? Math.ceil(10 / stride) : Math.ceil((10 - k + 1) / stride);
    const m = weights([3, outH, outW, 6]);
    await assertSameGrads(`conv ${pad} s${stride}`, ([xi, wi, mi]) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, stride, pad), mi)), [x, w, m]);
  });
}

test('fused conv2d + bias + relu (the layers path) trains on wasm and matches cpu', async () => {
  const x = data([2, 8, 8, 3], 5);
  const w = data([3, 3, 3, 5], 6);
  const b = data([5], 8);
  const m = weights([2, 8, 8, 5]);
  await assertSameGrads('fused conv', ([xi, wi, bi, mi]) =>
    tf.sum(tf.mul(tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: 1, pad: 'same', bias: bi, activation: 'relu' }), mi)), [x, w, b, m]);
});

test('batchNorm gradients (x, mean, variance, scale, offset) match cpu', async () => {
  const x = data([4, 5, 5, 3], 21);
  const mean = data([3], 22);
  const variance = { shape: [3], values: new Float32Array([0.5, 1.2, 2.0]) };
  const scale = data([3], 23);
  const offset = data([3], 24);
  const m = weights([4, 5, 5, 3]);
  await assertSameGrads('batchnorm', ([xi, mi, vi, si, oi, wi]) =>
    tf.sum(tf.mul(tf.batchNorm(xi, mi, vi, oi, si, 0.001), wi)), [x, mean, variance, scale, offset, m]);
});

test('batchNorm on 2-D (dense) activations matches cpu', async () => {
  const x = data([6, 8], 31);
  const mean = data([8], 32);
  const variance = { shape: [8], values: new Float32Array(8).fill(0.7) };
  const scale = data([8], 33);
  const offset = data([8], 34);
  await assertSameGrads('batchnorm 2d', ([xi, mi, vi, si, oi]) =>
    tf.sum(tf.square(tf.batchNorm(xi, mi, vi, oi, si, 0.001))), [x, mean, variance, scale, offset]);
});

test('maxPool 2x2 (even and odd sizes) gradients match cpu', async () => {
  const even = data([2, 6, 8, 3], 41);
  await assertSameGrads('maxpool even', ([xi]) => tf.sum(tf.square(tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid'))), [even]);
  const odd = data([2, 5, 5, 3], 42);
  await assertSameGrads('maxpool odd', ([xi]) => tf.sum(tf.square(tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid'))), [odd]);
});

for (const [pad, stride, mult] of [['same', 1, 1], ['valid', 1, 1], ['same', 2, 1], ['valid', 2, 1], ['same', 1, 2], ['same', 2, 3]] as const) {
  test(`depthwiseConv2d 3x3 stride ${stride} pad ${pad} multiplier ${mult}: filter and input gradients match cpu`, async () => {
    const x = data([3, 9, 10, 4], 51);
    const w = data([3, 3, 4, mult], 52);
    const outH = pad === 'same' ? Math.ceil(9 / stride) : Math.ceil((9 - 2) / stride);
    const outW = pad === 'same' ? Math.ceil(10 / stride) : Math.ceil((10 - 2) / stride);
    const m = weights([3, outH, outW, 4 * mult]);
    await assertSameGrads(`depthwise ${pad} s${stride} m${mult}`, ([xi, wi, mi]) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, stride, pad), mi)), [x, w, m]);
  });
}

test('separableConv2d (depthwise + pointwise) gradients match cpu', async () => {
  const x = data([2, 8, 7, 4], 61);
  const dw = data([3, 3, 4, 1], 62);
  const pw = data([1, 1, 4, 6], 63);
  const m = weights([2, 8, 7, 6]);
  await assertSameGrads('separable', ([xi, di, pi, mi]) =>
    tf.sum(tf.mul(tf.separableConv2d(xi as tf.Tensor4D, di as tf.Tensor4D, pi as tf.Tensor4D, 1, 'same'), mi)), [x, dw, pw, m]);
});

test('maxPool 3x3 stride 2 (same and valid, even and odd sizes) after batchNorm matches cpu', async () => {
  const variance = { shape: [3], values: new Float32Array([0.5, 1.2, 2.0]) };
  for (const [h, w] of [[10, 10], [9, 11], [44, 44]]) {
    const x = data([2, h, w, 3], 71 + h);
    for (const pad of ['same', 'valid'] as const) {
      const oh = pad === 'same' ? Math.ceil(h / 2) : Math.ceil((h - 2) / 2);
      const ow = pad === 'same' ? Math.ceil(w / 2) : Math.ceil((w - 2) / 2);
      const m = weights([2, oh, ow, 3]);
      // batchNorm with a large mean shifts most windows below zero: no positive value in them.
      const mean = { shape: [3], values: new Float32Array([0.3, 0.45, 0.2]) };
      const scale = { shape: [3], values: new Float32Array([1, 0.8, 1.3]) };
      const offset = { shape: [3], values: new Float32Array([0.1, -0.2, 0]) };
      await assertSameGrads(`bn + maxpool 3x3 ${pad} ${h}x${w}`, ([xi, mi, vi, si, oi, wi]) =>
        tf.sum(tf.mul(tf.maxPool(tf.batchNorm(xi, mi, vi, oi, si, 0.001) as tf.Tensor4D, 3, 2, pad), wi)), [x, mean, variance, scale, offset, m]);
    }
  }
});

test('maxPool 3x3 stride 2 with tied values routes dy to the first max like cpu; 2x2 odd same too', async () => {
  const x = data([2, 9, 9, 2], 81);
  const quantized = { shape: x.shape, values: x.values.map((v) => Math.round(v * 3) / 3) };
  const m = weights([2, 5, 5, 2]);
  await assertSameGrads('maxpool ties', ([xi, mi]) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, 3, 2, 'same'), mi)), [quantized, m]);
  await assertSameGrads('maxpool 2x2 odd same', ([xi, mi]) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, 2, 2, 'same'), mi)), [x, m]);
});

test('depthwise and maxPool gradients do not leak tensors', async () => {
  await tf.setBackend('wasm');
  registerTrainingGradients('wasm');
  const x = tf.randomNormal([2, 9, 9, 3]);
  const dw = tf.variable(tf.randomNormal([3, 3, 3, 1]));
  const pw = tf.variable(tf.randomNormal([1, 1, 3, 4]));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { grads, value } = tf.variableGrads(() =>
      tf.sum(tf.maxPool(tf.separableConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, pw as tf.Tensor4D, 2, 'same'), 3, 2, 'same')));
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, dw, pw]);
});

test('kernels do not leak tensors', async () => {
  await tf.setBackend('wasm');
  registerTrainingGradients('wasm');
  const x = tf.randomNormal([2, 8, 8, 3]);
  const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')));
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
  assert.is(tf.memory().numTensors, before);
  x.dispose();
  w.dispose();
});

test.run();
