import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../training/engine/backend.ts';
import { recalibrateBatchNorm } from '../../../training/engine/recalibrate-batch-norm.ts';
import { seededPermutation } from '../../../training/engine/seeded-shuffle.ts';

const size = 8;
const count = 40;

/** conv -> BatchNorm -> conv -> BatchNorm -> softmax head; seeded weights so runs repeat. */
function model(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), inputShape: [size, size, 1] }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

/** Bytes with structure (a gradient plus noise), so convolutions see a non-trivial mean and spread. */
function pixels(): Uint8Array {
  const px = new Uint8Array(count * size * size);
  let s = 7;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = Math.min(255, ((i % (size * size)) * 3 + (s >>> 24)) & 255);
  }
  return px;
}

const data = { pixels: pixels(), size, count };

/** Per-channel mean over the batches and mean of per-batch (population) variances of layer `index`'s input. */
function expectedStats(m: tf.LayersModel, index: number, batchSize: number, order: number[]): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const upTo = tf.model({ inputs: m.inputs, outputs: m.layers[index - 1].output as tf.SymbolicTensor });
    const means: tf.Tensor[] = [];
    const vars: tf.Tensor[] = [];
    for (let b = 0; b < order.length; b += batchSize) {
      const idx = order.slice(b, b + batchSize);
      const x = tf.tensor4d(Float32Array.from(idx.flatMap((i) => Array.from(data.pixels.subarray(i * size * size, (i + 1) * size * size), (v) => v / 255))), [idx.length, size, size, 1]);
      const { mean, variance } = tf.moments(upTo.predict(x) as tf.Tensor, [0, 1, 2]);
      means.push(mean);
      vars.push(variance);
    }
    return { mean: Array.from(tf.mean(tf.stack(means), 0).dataSync()), variance: Array.from(tf.mean(tf.stack(vars), 0).dataSync()) };
  });
}

const movingStats = (m: tf.LayersModel, index: number) => m.layers[index].getWeights().slice(2).map((w) => Array.from(w.dataSync()));
const near = (got: number[], want: number[], what: string) => got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${g} vs ${want[i]}`));

test.before(async () => {
  await initBackend('wasm');
});

test('moving mean and variance become the exact average over the batches, not a decaying one; momentum is restored', () => {
  const m = model();
  // Garbage statistics, as averaged weights would carry: far from what the data gives.
  for (const i of [1, 3]) {
    const [gamma, beta] = m.layers[i].getWeights();
    m.layers[i].setWeights([gamma, beta, tf.fill(gamma.shape, 50), tf.fill(gamma.shape, 1e4)]);
  }
  const n = recalibrateBatchNorm(m, data, { images: count, batchSize: 10 });
  assert.is(n, 2);
  const want = expectedStats(m, 1, 10, Array.from(seededPermutation(count, 1, 0)));
  near(movingStats(m, 1)[0], want.mean, 'mean');
  near(movingStats(m, 1)[1], want.variance, 'variance');
  const [mean, variance] = movingStats(m, 3);
  assert.ok(mean.every((v) => Math.abs(v) < 10) && variance.every((v) => v < 100), `second layer's statistics replaced too: ${mean} / ${variance}`);
  assert.equal(m.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => (l as unknown as { momentum: number }).momentum), [0.99, 0.9]);
});

test('one batch holding every image: the statistics are exactly that batch\'s', () => {
  const m = model();
  recalibrateBatchNorm(m, data, { images: count, batchSize: count });
  const first = expectedStats(m, 1, count, Array.from({ length: count }, (_, i) => i));
  near(movingStats(m, 1)[0], first.mean, 'mean');
  near(movingStats(m, 1)[1], first.variance, 'variance');
});

test('a short last batch and a subset of the images: each batch weighs the same, images picked by the seed', () => {
  const m = model();
  recalibrateBatchNorm(m, data, { images: 36, batchSize: 12, seed: 5 });
  const want = expectedStats(m, 1, 12, Array.from(seededPermutation(count, 5, 0).subarray(0, 36)));
  near(movingStats(m, 1)[0], want.mean, 'mean');
  near(movingStats(m, 1)[1], want.variance, 'variance');
  const m2 = model();
  recalibrateBatchNorm(m2, data, { images: 30, batchSize: 12, seed: 5 });
  const short = expectedStats(m2, 1, 12, Array.from(seededPermutation(count, 5, 0).subarray(0, 30)));
  near(movingStats(m2, 1)[0], short.mean, 'mean with a last batch of 6');
});

test('inference after recalibration normalises the data it saw: zero mean, unit variance (less BatchNorm\'s epsilon)', () => {
  const m = model();
  recalibrateBatchNorm(m, data, { images: count, batchSize: count });
  const out = tf.tidy(() => {
    const upTo = tf.model({ inputs: m.inputs, outputs: m.layers[1].output as tf.SymbolicTensor });
    const x = tf.div(tf.tensor4d(Float32Array.from(data.pixels), [count, size, size, 1]), 255);
    const { mean, variance } = tf.moments(upTo.predict(x) as tf.Tensor, [0, 1, 2]);
    return { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
  });
  near(out.mean, [0, 0, 0], 'normalised mean');
  // Fresh BatchNorm: gamma 1, beta 0; variance comes out as var / (var + 0.001).
  const raw = movingStats(m, 1)[1];
  out.variance.forEach((v, i) => assert.ok(Math.abs(v - raw[i] / (raw[i] + 1e-3)) < 1e-3, `normalised variance ${v}`));
});

test('a model without BatchNorm, or no images, is left as it is', () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [4] })] });
  assert.is(recalibrateBatchNorm(m, data), 0);
  const b = model();
  const before = movingStats(b, 1);
  assert.is(recalibrateBatchNorm(b, { ...data, count: 0 }), 2);
  assert.equal(movingStats(b, 1), before);
});

test.run();
