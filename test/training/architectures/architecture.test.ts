import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, buildArchitecture, isArchitectureName } from '../../../training/architectures/architecture.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';

type Summary = { layer: string; config: Record<string, unknown> };

function layers(model: tf.LayersModel): Summary[] {
  return model.layers.map((l) => ({ layer: l.getClassName(), config: l.getConfig() as Record<string, unknown> }));
}

test.before(async () => {
  await tf.setBackend('cpu');
});

test('seed: the notebook CNN, 555,623 parameters, layer for layer', () => {
  const model = buildArchitecture('seed', { inputSize: 48, classes: 7 });
  assert.is(model.countParams(), 555_623);
  const got = layers(model);
  // Conv2D(32) Conv2D(32) MaxPool BN | Conv2D(64) Conv2D(64) MaxPool BN | Conv2D(128) Conv2D(128) MaxPool BN |
  // Flatten Dense(512, relu) Dropout(0.5) BN Dense(7, softmax)
  assert.equal(got.map((s) => s.layer), [
    'Conv2D', 'Conv2D', 'MaxPooling2D', 'BatchNormalization',
    'Conv2D', 'Conv2D', 'MaxPooling2D', 'BatchNormalization',
    'Conv2D', 'Conv2D', 'MaxPooling2D', 'BatchNormalization',
    'Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'Dense',
  ]);
  const convs = got.filter((s) => s.layer === 'Conv2D').map((s) => s.config);
  assert.equal(convs.map((c) => c.filters), [32, 32, 64, 64, 128, 128]);
  for (const c of convs) {
    assert.equal(c.kernelSize, [3, 3]);
    assert.is(c.padding, 'valid', 'Keras default padding');
    assert.is(c.activation, 'relu');
  }
  for (const p of got.filter((s) => s.layer === 'MaxPooling2D')) assert.equal(p.config.poolSize, [2, 2]);
  const dense = got.filter((s) => s.layer === 'Dense').map((s) => s.config);
  assert.equal(dense.map((d) => [d.units, d.activation]), [[512, 'relu'], [7, 'softmax']]);
  assert.is(got[14].config.rate, 0.5);
  for (const bn of got.filter((s) => s.layer === 'BatchNormalization')) {
    assert.is(bn.config.momentum, 0.99);
    assert.is(bn.config.epsilon, 0.001);
  }
  assert.equal(model.inputs[0].shape, [null, 48, 48, 1]);
  assert.equal(model.outputs[0].shape, [null, 7]);
  model.dispose();
});

test('vgg-lite: 1,176,359 parameters, stride-2 stem, global average pooling, softmax head', () => {
  const model = buildArchitecture('vgg-lite', { inputSize: 48, classes: 7 });
  assert.is(model.countParams(), 1_176_359);
  const got = layers(model);
  const convs = got.filter((s) => s.layer === 'Conv2D').map((s) => s.config);
  assert.equal(convs.map((c) => c.filters), [32, 32, 64, 64, 128, 128, 256, 256]);
  assert.equal(convs[0].strides, [2, 2]);
  assert.ok(convs.every((c) => c.padding === 'same' && c.useBias === false));
  assert.is(got.filter((s) => s.layer === 'BatchNormalization').length, 8);
  assert.equal(got.slice(-3).map((s) => s.layer), ['GlobalAveragePooling2D', 'Dropout', 'Dense']);
  assert.equal(model.outputs[0].shape, [null, 7]);
  model.dispose();
});

test('input size and class count come from the options', () => {
  for (const name of Object.keys(ARCHITECTURES)) {
    const model = buildArchitecture(name, { inputSize: 64, classes: 5 });
    assert.equal(model.inputs[0].shape, [null, 64, 64, 1], name);
    assert.equal(model.outputs[0].shape, [null, 5], name);
    const probs = tf.tidy(() => (model.predict(tf.zeros([2, 64, 64, 1])) as tf.Tensor).arraySync() as number[][]);
    for (const row of probs) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `${name}: softmax rows sum to 1`);
    model.dispose();
  }
});

test('tiny: no BatchNorm and no dropout (its gradients do not depend on how a batch is split)', () => {
  const model = buildArchitecture('tiny', { inputSize: 48, classes: 7 });
  const kinds = layers(model).map((s) => s.layer);
  assert.not.ok(kinds.includes('BatchNormalization'));
  assert.not.ok(kinds.includes('Dropout'));
  assert.is(model.nonTrainableWeights.length, 0);
  model.dispose();
});

test('an unknown name is a usage error listing every architecture', () => {
  let caught: unknown;
  try {
    buildArchitecture('resnet-9000', { inputSize: 48, classes: 7 });
  } catch (err) {
    caught = err;
  }
  assert.ok(isEmotionStreamError(caught), `expected an EmotionStreamError, got ${String(caught)}`);
  assert.is(caught.code, 'ERR_USAGE');
  assert.match(caught.message, /resnet-9000/);
  for (const name of Object.keys(ARCHITECTURES)) assert.ok(caught.message.includes(name), `message lists ${name}`);
});

test('isArchitectureName does not accept Object.prototype keys', () => {
  assert.ok(isArchitectureName('seed'));
  assert.not.ok(isArchitectureName('toString'));
  assert.not.ok(isArchitectureName('__proto__'));
});

test.run();
