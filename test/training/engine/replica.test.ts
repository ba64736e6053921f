import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Replica } from '../../../training/engine/replica.ts';
import { registerTrainingGradients } from '../../../training/engine/wasm-gradients.ts';

const size = 10;
const classes = 5;
const count = 6;
const lr1 = 0.01;
const lr2 = 0.003;

/**
 * Small, but built like the seed net: fused conv + relu (stride 1 'same', stride 2 'valid'), 2x2
 * max-pooling, BatchNorm, softmax. No dropout: gradients must be reproducible.
 */
function smallModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [size, size, 1] }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
  return m;
}

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * scale;
  });
}

const xs = seeded(count * size * size, 3);
/** Like real faces after 'nearest' fill or saturation: flat areas, where neighbouring conv outputs tie. */
const flatXs = xs.map((v, i) => (i % (size * size) < (size * size) / 2 ? 0.8 : v));
const ys = new Float32Array(count * classes);
[0, 1, 2, 3, 4].forEach((c, i) => { ys[i * classes + c] = 1; });
ys.set([0.5, 0, 0.25, 0.25, 0], 5 * classes); // a soft (FER+ style) target
const sampleWeights = Float32Array.from([1, 2, 0.5, 1, 1.5, 1]);
const batch = { xs, ys, count, sampleWeights };

/** Reference numbers from the stock cpu backend, computed before any custom gradient is registered. */
const ref = {} as {
  initial: Float32Array[];
  trainableCount: number;
  grads: Float32Array[];
  flatGrads: Float32Array[];
  loss: number;
  correct: number;
  afterAdam: Float32Array[];
};

const copy = (ts: tf.Tensor[]) => ts.map((t) => Float32Array.from(t.dataSync() as Float32Array));
const flat = (arrays: Float32Array[]) => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) { out.set(a, o); o += a.length; }
  return out;
};

/** `floor` bounds the scale from below: a near-zero gradient (a bias whose terms cancel) is compared
 *  against float32 rounding of the sums it came from, not against its own tiny magnitude. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 1e-4, floor = 1e-3): void {
  assert.is(got.length, want.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  assert.ok(worst <= rel * Math.max(scale, floor), `${what}: differs by ${worst} (scale ${scale}, floor ${floor})`);
}

/** Stock cpu loss and gradients of `model` on `images`, with Replica's loss written out independently. */
function cpuGrads(model: tf.LayersModel, images: Float32Array) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let correct = 0;
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor4d(images, [count, size, size, 1]);
    const y = tf.tensor2d(ys, [count, classes]);
    const p = model.apply(x, { training: true }) as tf.Tensor2D;
    correct = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), 'int32')).dataSync()[0];
    const perSample = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, 1e-7, 1))), 1));
    return tf.mean(tf.mul(perSample, tf.tensor1d(sampleWeights))) as tf.Scalar;
  }, vars);
  return { value, grads, correct, flat: vars.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)) };
}

test.before(async () => {
  await tf.setBackend('cpu');
  const model = smallModel();
  ref.initial = copy(model.getWeights());
  ref.trainableCount = model.trainableWeights.length;
  const twin = smallModel();
  twin.setWeights(model.getWeights());
  ref.flatGrads = cpuGrads(twin, flatXs).flat;
  const { value, grads, correct, flat: g } = cpuGrads(model, xs);
  ref.loss = value.dataSync()[0];
  ref.correct = correct;
  ref.grads = g;
  tf.train.adam(lr1).applyGradients(grads as tf.NamedTensorMap & Record<string, tf.Variable>);
  ref.afterAdam = copy(model.getWeights());
  await tf.setBackend('wasm');
  registerTrainingGradients('wasm');
});

function wasmReplica(weights = ref.initial, lr = lr1): Replica {
  const replica = new Replica(smallModel(), lr);
  replica.setWeights(weights);
  return replica;
}

test('computeGradients on wasm matches tf.variableGrads of the same loss on cpu (flat, in trainable-weight order)', () => {
  assert.is(tf.getBackend(), 'wasm');
  const replica = wasmReplica();
  const out = new Float32Array(replica.gradSize);
  const r = replica.computeGradients(batch, out);
  assert.is(replica.gradSize, ref.grads.reduce((n, g) => n + g.length, 0));
  let offset = 0;
  ref.grads.forEach((g, i) => {
    assertClose(out.subarray(offset, offset + g.length), g, `gradient of trainable weight ${i}`);
    offset += g.length;
  });
  assert.ok(Math.abs(r.lossSum - ref.loss * count) < 1e-4 * count, `loss sum ${r.lossSum} vs ${ref.loss * count}`);
  assert.is(r.correct, ref.correct);
});

test('flat image areas (tied max-pool inputs) give the same gradient as cpu: one element per window gets dy', () => {
  const replica = wasmReplica();
  const out = new Float32Array(replica.gradSize);
  replica.computeGradients({ ...batch, xs: flatXs }, out);
  // Flat images make some gradients cancel to ~1e-7: measure them against the model's largest gradient.
  const largest = Math.max(...ref.flatGrads.map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  let offset = 0;
  ref.flatGrads.forEach((g, i) => {
    assertClose(out.subarray(offset, offset + g.length), g, `gradient of trainable weight ${i} on flat images`, 1e-4, largest * 1e-2);
    offset += g.length;
  });
});

test('sample weights enter the loss (all ones gives a different gradient)', () => {
  const replica = wasmReplica();
  const weighted = new Float32Array(replica.gradSize);
  const plain = new Float32Array(replica.gradSize);
  replica.computeGradients(batch, weighted);
  wasmReplica().computeGradients({ xs, ys, count }, plain);
  assert.ok(weighted.some((g, i) => Math.abs(g - plain[i]) > 1e-5));
});

test('applyGradients updates the weights as tf.train.adam does on cpu (BatchNorm statistics from the training pass)', () => {
  const replica = wasmReplica();
  replica.computeGradients(batch, new Float32Array(replica.gradSize)); // updates the moving statistics like the reference pass
  replica.applyGradients(flat(ref.grads)); // the reference gradient, so only the update rule is compared
  const got = replica.getWeights();
  ref.afterAdam.forEach((w, i) => assertClose(got[i], w, `weight ${i} after one Adam step`, 1e-5));
  assert.ok(got[0].some((v, k) => v !== ref.initial[0][k]), 'weights moved');
});

test('setLearningRate takes effect on the next step (checked against Adam by hand, in float64)', () => {
  const replica = wasmReplica();
  const g1 = flat(ref.grads);
  const g2 = g1.map((g, i) => (i % 3 === 0 ? -0.5 * g : 2 * g));
  replica.applyGradients(g1);
  replica.setLearningRate(lr2);
  replica.applyGradients(g2);
  const w0 = flat(ref.initial.slice(0, ref.trainableCount));
  const want = Array.from(w0, (w, i) => {
    let m = 0;
    let v = 0;
    let x = w;
    [[g1[i], lr1], [g2[i], lr2]].forEach(([g, lr], t) => {
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (lr * (m / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v / (1 - 0.999 ** (t + 1))) + 1e-7);
    });
    return x;
  });
  assertClose(flat(replica.getWeights().slice(0, ref.trainableCount)), want, 'weights after two steps', 1e-5);
});

test('getWeights / setWeights round trip every weight (moving statistics included), as copies', () => {
  const a = wasmReplica();
  a.computeGradients(batch, new Float32Array(a.gradSize));
  a.applyGradients(flat(ref.grads));
  const weights = a.getWeights();
  assert.is(weights.length, ref.initial.length);
  const b = wasmReplica(ref.initial);
  b.setWeights(weights);
  assert.equal(b.getWeights().map((w) => Array.from(w)), weights.map((w) => Array.from(w)));
  weights[0][0] += 1;
  assert.is.not(a.getWeights()[0][0], weights[0][0], 'getWeights returns copies');
});

test('optimizer state round trip: a replica given another one\'s state continues identically', async () => {
  const a = wasmReplica();
  const g = flat(ref.grads);
  a.applyGradients(g);
  a.applyGradients(g.map((x) => -x));
  const state = await a.getOptimizerState();
  assert.is(state.length, 1 + 2 * ref.trainableCount, 'iterations + first and second moments per trainable weight');
  assert.is(state[0].data[0], 2, 'two steps taken');
  const b = wasmReplica(a.getWeights());
  await b.setOptimizerState(state.map((s) => ({ ...s, data: Float32Array.from(s.data) })));
  const fresh = wasmReplica(a.getWeights());
  const g3 = g.map((x, i) => x * (1 + (i % 5)));
  for (const r of [a, b, fresh]) r.applyGradients(g3);
  // Not bit for bit: tfjs's Adam.setWeights recomputes beta^t with pow() where training keeps a
  // running product; the last float32 bit can differ. 1e-6 is 1e-4 of a step (lr 0.01).
  const maxDiff = (r: Replica) => Math.max(...r.getWeights().flatMap((w, i) => Array.from(w, (v, k) => Math.abs(v - a.getWeights()[i][k]))));
  assert.ok(maxDiff(b) < 1e-6, `restored optimizer: weights differ by ${maxDiff(b)}`);
  assert.ok(maxDiff(fresh) > 1e-4, 'without the state the step differs');
  const again = await b.getOptimizerState();
  assert.is(again[0].data[0], 3);
});

test.run();
