import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { DataParallelTrainer, type DataParallelOptions } from '../../../training/engine/data-parallel.ts';
import { NOTEBOOK_AUGMENTATION } from '../../../training/engine/batch-builder.ts';
import { Replica } from '../../../training/engine/replica.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { buildArchitecture } from '../../../training/architectures/architecture.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { classPattern, FIXTURE_SIZE } from '../../helpers/emotion-fixtures.ts';

const size = FIXTURE_SIZE;
const classes = 7;
const count = 14;
const pixels = new Uint8Array(count * size * size);
const targets = new Float32Array(count * classes);
for (let i = 0; i < count; i++) {
  pixels.set(classPattern(i % classes, i), i * size * size);
  targets[i * classes + (i % classes)] = 1;
}
const classWeights = [1, 3, 0.5, 1, 2, 1, 0.7];

function options(overrides: Partial<DataParallelOptions>): DataParallelOptions {
  return { workers: 2, arch: 'tiny', inputSize: size, classes, learningRate: 0.01, backend: 'wasm', pixels, targets, classWeights: null, augment: null, ...overrides };
}

/** Initial weights for `arch`, built here so every trainer starts from the same ones. */
function initialWeights(arch: string): Float32Array[] {
  const model = buildArchitecture(arch, { inputSize: size, classes });
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  model.dispose();
  return weights;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'same length');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** What `promise` rejects with; 'resolved', or 'hung' when it is still pending after `ms`. */
async function rejection(promise: Promise<unknown>, ms = 20_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('hung'), ms); });
  try {
    return await Promise.race([promise.then(() => 'resolved'), hung]);
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
}

const workerPorts = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
let basePorts = 0;

test.before(async () => {
  await initBackend('wasm');
  basePorts = workerPorts();
});

test('2 workers, seed net with augmentation: after a few steps every replica holds identical trainable weights', async () => {
  const trainer = await DataParallelTrainer.start(options({ arch: 'seed', augment: NOTEBOOK_AUGMENTATION, learningRate: 1e-3 }));
  try {
    const probe = buildArchitecture('seed', { inputSize: size, classes });
    const trainable = probe.trainableWeights.length;
    probe.dispose();
    await trainer.setWeights(initialWeights('seed'), null);
    for (let step = 0; step < 3; step++) {
      const r = await trainer.step(Int32Array.from({ length: 6 }, (_, i) => (step * 5 + i) % count), 100 + step, 1e-3);
      assert.is(r.count, 6);
      assert.ok(Number.isFinite(r.lossSum) && r.lossSum > 0);
    }
    await trainer.flush(1e-3);
    const [a, b] = await trainer.replicaStates();
    for (let i = 0; i < trainable; i++) assert.ok(maxAbsDiff(a.weights[i], b.weights[i]) === 0, `trainable weight ${i} differs between replicas`);
    a.optimizer.forEach((o, i) => assert.ok(maxAbsDiff(o.data, b.optimizer[i].data) === 0, `optimizer slot ${o.name} differs`));
    // BatchNorm moving statistics saw different shards (and augmentations): state() averages them.
    const moving = a.weights.slice(trainable).map((w, i) => maxAbsDiff(w, b.weights[trainable + i]));
    assert.ok(moving.some((d) => d > 0), 'the replicas saw different data');
    const state = await trainer.state();
    state.weights.slice(trainable).forEach((w, i) => {
      const mean = a.weights[trainable + i].map((v, k) => (v + b.weights[trainable + i][k]) / 2);
      assert.ok(maxAbsDiff(w, mean) < 1e-6, `moving statistic ${i} is the replicas' mean`);
    });
  } finally {
    await trainer.close();
  }
});

const steps = [
  { indices: Int32Array.from([0, 3, 8, 1, 12]), lr: 0.01 }, // 5 images: shares of 3 and 2
  { indices: Int32Array.from([2, 4, 13, 9, 5, 11, 6]), lr: 0.004 }, // 7: shares of 4 and 3
  { indices: Int32Array.from([7]), lr: 0.002 }, // 1 image: the second worker's share is empty
];

test('2 workers give the same averaged gradient and update as 1 worker on the same batch (tiny net, no augmentation)', async () => {
  // The tiny net has no BatchNorm and no dropout, so the exact full-batch gradient is the
  // size-weighted mean of the shard gradients. Adam's first moment after one step is 0.1 * g,
  // so the optimizer state read back through state() shows the averaged gradient itself.
  const w0 = initialWeights('tiny');
  const one = await DataParallelTrainer.start(options({ workers: 1, classWeights }));
  const two = await DataParallelTrainer.start(options({ workers: 2, classWeights }));
  try {
    await one.setWeights(w0, null);
    await two.setWeights(w0, null);
    // The reference gradient of the first batch, computed here in one piece.
    const model = buildArchitecture('tiny', { inputSize: size, classes });
    const replica = new Replica(model, 0.01);
    replica.setWeights(w0);
    const idx = steps[0].indices;
    const xs = new Float32Array(idx.length * size * size);
    const ys = new Float32Array(idx.length * classes);
    const sw = new Float32Array(idx.length);
    idx.forEach((src, i) => {
      for (let k = 0; k < size * size; k++) xs[i * size * size + k] = pixels[src * size * size + k] / 255;
      ys.set(targets.subarray(src * classes, (src + 1) * classes), i * classes);
      sw[i] = classWeights[src % classes];
    });
    const full = new Float32Array(replica.gradSize);
    const expected = replica.computeGradients({ xs, ys, count: idx.length, sampleWeights: sw }, full);
    model.dispose();

    for (const [n, { indices, lr }] of steps.entries()) {
      const r1 = await one.step(indices, 7 + n, lr);
      const r2 = await two.step(indices, 7 + n, lr);
      assert.is(r2.count, indices.length);
      assert.is(r2.correct, r1.correct);
      assert.ok(Math.abs(r2.lossSum - r1.lossSum) < 1e-5 * Math.max(1, Math.abs(r1.lossSum)), `step ${n}: loss ${r2.lossSum} vs ${r1.lossSum}`);
      if (n === 0) {
        assert.ok(Math.abs(r2.lossSum - expected.lossSum) < 1e-4, 'loss sum of the whole batch');
      }
      await one.flush(lr);
      await two.flush(lr);
      const s1 = await one.state();
      const s2 = await two.state();
      const m1 = s1.optimizer.find((o) => o.name.endsWith('/m'))!;
      if (n === 0) {
        // First moment of the first trainable weight = 0.1 * its averaged gradient.
        const g = m1.data.map((v) => v / 0.1);
        assert.ok(maxAbsDiff(g, full.subarray(0, g.length)) < 1e-5 * Math.max(1e-3, maxAbs(g)), 'averaged gradient = full-batch gradient');
      }
      s1.optimizer.forEach((o, i) => {
        const tol = 1e-5 * Math.max(1e-6, maxAbs(o.data));
        assert.ok(maxAbsDiff(s2.optimizer[i].data, o.data) <= tol, `step ${n}: optimizer slot ${o.name} differs by ${maxAbsDiff(s2.optimizer[i].data, o.data)}`);
      });
      // Adam divides by sqrt(v): components with a near-zero gradient amplify float noise, so
      // weights are compared to within 1% of a step (lr) rather than to float precision.
      s1.weights.forEach((w, i) => assert.ok(maxAbsDiff(s2.weights[i], w) < 0.01 * lr, `step ${n}: weight ${i} differs by ${maxAbsDiff(s2.weights[i], w)}`));
      assert.ok(s2.weights.every((w) => w.every(Number.isFinite)), 'no NaN after an empty share');
    }
    const [a, b] = await two.replicaStates();
    a.weights.forEach((w, i) => assert.ok(maxAbsDiff(w, b.weights[i]) === 0, `replica weight ${i}`));
  } finally {
    await one.close();
    await two.close();
  }
});

test('the size weighting matters: a plain mean of the two shard gradients would be another gradient', () => {
  const model = buildArchitecture('tiny', { inputSize: size, classes });
  const replica = new Replica(model, 0.01);
  replica.setWeights(initialWeights('tiny'));
  const grad = (indices: number[]) => {
    const xs = new Float32Array(indices.length * size * size);
    const ys = new Float32Array(indices.length * classes);
    indices.forEach((src, i) => {
      for (let k = 0; k < size * size; k++) xs[i * size * size + k] = pixels[src * size * size + k] / 255;
      ys.set(targets.subarray(src * classes, (src + 1) * classes), i * classes);
    });
    const out = new Float32Array(replica.gradSize);
    replica.computeGradients({ xs, ys, count: indices.length }, out);
    return out;
  };
  const all = grad([0, 3, 8, 1, 12]);
  const a = grad([0, 3, 8]);
  const b = grad([1, 12]);
  const weighted = a.map((v, i) => (3 * v + 2 * b[i]) / 5);
  const plain = a.map((v, i) => (v + b[i]) / 2);
  assert.ok(maxAbsDiff(weighted, all) < 1e-5 * maxAbs(all), 'weighted mean of shards = whole batch');
  assert.ok(maxAbsDiff(plain, all) > 1e-2 * maxAbs(all), 'an unweighted mean would be detectably wrong');
  model.dispose();
});

test('a worker error surfaces as ERR_TRAINING, and later calls fail fast instead of hanging', async () => {
  const trainer = await DataParallelTrainer.start(options({ workers: 2 }));
  try {
    const bad = initialWeights('tiny').map((w) => w.subarray(0, 3)); // wrong shapes: the workers reject them
    const err = await rejection(trainer.setWeights(bad, null));
    assert.ok(isEmotionStreamError(err), `expected an EmotionStreamError, got ${String(err)}`);
    assert.is(err.code, 'ERR_TRAINING');
    assert.match(err.message, /training worker failed/);
    const later = await rejection(trainer.step(Int32Array.from([0, 1]), 1, 0.01), 5000);
    assert.ok(isEmotionStreamError(later) && later.code === 'ERR_TRAINING', `step after a failure: ${String(later)}`);
  } finally {
    await trainer.close();
  }
  assert.is(workerPorts(), basePorts, 'workers ended');
});

test('a worker that cannot start rejects start() with ERR_TRAINING and leaves no worker running', async () => {
  const require = createRequire(import.meta.url);
  let nativeInstalled = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    nativeInstalled = false;
  }
  if (nativeInstalled) {
    console.warn('skipped: @tensorflow/tfjs-node is installed, so backend "tensorflow" starts');
    return;
  }
  const err = await rejection(DataParallelTrainer.start(options({ workers: 2, backend: 'tensorflow' })));
  assert.ok(isEmotionStreamError(err) && err.code === 'ERR_TRAINING', `expected ERR_TRAINING, got ${String(err)}`);
  assert.match(err.message, /tensorflow/);
  assert.is(workerPorts(), basePorts, 'no worker left alive (it would keep the process from exiting)');
});

test('close() ends the workers; a step afterwards rejects with ERR_TRAINING', async () => {
  const trainer = await DataParallelTrainer.start(options({ workers: 2 }));
  await trainer.setWeights(initialWeights('tiny'), null);
  await trainer.step(Int32Array.from([0, 1, 2]), 1, 0.01);
  assert.is(workerPorts(), basePorts + 2);
  // Exit codes, not a stopwatch, tell a worker that ended on its own (0) from one close() had to
  // terminate() after its 2 s fallback (1). The workers are private: read them for this check only.
  const exitCodes: number[] = [];
  for (const worker of (trainer as unknown as { workers: Worker[] }).workers) worker.once('exit', (code) => exitCodes.push(code));
  await trainer.close();
  assert.equal(exitCodes, [0, 0], 'workers exit on their own (not by the terminate fallback)');
  assert.is(workerPorts(), basePorts);
  const err = await rejection(trainer.step(Int32Array.from([0]), 1, 0.01), 5000);
  assert.ok(isEmotionStreamError(err) && err.code === 'ERR_TRAINING', `expected ERR_TRAINING, got ${String(err)}`);
  await trainer.close(); // idempotent
});

test.run();
