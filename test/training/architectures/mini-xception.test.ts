import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelDir, saveModelDir } from '../../../pipeline/models/model-files.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { Replica } from '../../../training/engine/replica.ts';
import { buildArchitecture } from '../../../training/architectures/architecture.ts';

const size = 48;
const classes = 7;

/** A seeded batch: pixels in [0, 1), one-hot targets. */
function batch(count: number): { xs: Float32Array; ys: Float32Array; count: number } {
  let s = 12345;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const xs = new Float32Array(count * size * size).map(next);
  const ys = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) ys[i * classes + (i % classes)] = 1;
  return { xs, ys, count };
}

test.before(async () => {
  await initBackend('wasm'); // registers the wasm training gradients, depthwise included
});

test('mini-xception: 58,423 parameters (56,951 trainable), 7-way softmax at 48x48', () => {
  const model = buildArchitecture('mini-xception', { inputSize: size, classes });
  assert.is(model.countParams(), 58_423);
  assert.is(model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0), 56_951);
  assert.equal(model.outputs[0].shape, [null, classes]);
  model.dispose();
});

test('mini-xception: one training step on wasm matches the cpu backend and leaks nothing', async () => {
  const data = batch(4);
  const wasm = new Replica(buildArchitecture('mini-xception', { inputSize: size, classes }), 1e-3);
  const gWasm = new Float32Array(wasm.gradSize);
  wasm.computeGradients(data, gWasm); // warm-up: kernel set-up, Adam's slot variables
  wasm.applyGradients(gWasm);
  const start = wasm.getWeights();
  const before = tf.memory().numTensors;
  const { lossSum } = wasm.computeGradients(data, gWasm);
  wasm.applyGradients(gWasm);
  assert.is(tf.memory().numTensors, before, 'no tensor leaked by a step');
  assert.ok(Number.isFinite(lossSum) && lossSum > 0, `loss ${lossSum}`);
  assert.ok(gWasm.every(Number.isFinite), 'finite gradients');
  assert.ok(wasm.getWeights().some((w, i) => w.some((v, k) => v !== start[i][k])), 'weights moved');

  await tf.setBackend('cpu');
  const cpu = new Replica(buildArchitecture('mini-xception', { inputSize: size, classes }), 1e-3);
  cpu.setWeights(start);
  const gCpu = new Float32Array(cpu.gradSize);
  const ref = cpu.computeGradients(data, gCpu);
  await tf.setBackend('wasm');
  assert.ok(Math.abs(ref.lossSum - lossSum) < 1e-3 * Math.abs(ref.lossSum), `loss wasm ${lossSum} vs cpu ${ref.lossSum}`);
  // Relative L2 error of the whole gradient: float differences (~1e-5) in the forward pass can
  // flip a ReLU mask or a pooling argmax for a value within ~1e-5 of its rival, which moves the
  // upstream gradients by up to ~1% (usually the error is ~5e-6); a wrong kernel moves them by
  // far more (wasm's own MaxPoolGrad in place of ours: 11-14%; an unflipped depthwise filter: >100%).
  let err = 0;
  let ref2 = 0;
  for (let i = 0; i < gCpu.length; i++) {
    err += (gCpu[i] - gWasm[i]) ** 2;
    ref2 += gCpu[i] ** 2;
  }
  const rel = Math.sqrt(err / ref2);
  assert.ok(ref2 > 0 && rel < 4e-2, `gradients differ: relative L2 error ${rel}`);
});

test('mini-xception: a saved model directory loads back and predicts the same', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-xception-'));
  try {
    const model = buildArchitecture('mini-xception', { inputSize: size, classes });
    await saveModelDir(model, dir);
    const loaded = await loadModelDir(dir);
    const x = tf.tensor4d(batch(2).xs, [2, size, size, 1]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]) < 1e-6);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
