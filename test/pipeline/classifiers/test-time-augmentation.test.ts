import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { predictWithTta, shift, ttaViewCount, ttaViews } from '../../../pipeline/classifiers/test-time-augmentation.ts';
import { TTA_MODES } from '../../../config/schema.ts';
import { initBackend } from '../../../training/engine/backend.ts';

await initBackend('wasm');

/** One 3x4 image: value = 10 * row + column. */
const image = () => tf.tensor4d([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], [1, 3, 4, 1]);
const rows = (t: tf.Tensor) => (t.arraySync() as number[][][][])[0].map((r) => r.map((c) => c[0]));

test('shift along columns repeats the edge column it uncovers', () => {
  tf.tidy(() => {
    assert.equal(rows(shift(image(), 2, 1)), [[0, 0, 1, 2], [10, 10, 11, 12], [20, 20, 21, 22]]);
    assert.equal(rows(shift(image(), 2, -2)), [[2, 3, 3, 3], [12, 13, 13, 13], [22, 23, 23, 23]]);
  });
});

test('shift along rows repeats the edge row it uncovers; 0 is the image itself', () => {
  tf.tidy(() => {
    assert.equal(rows(shift(image(), 1, 1)), [[0, 1, 2, 3], [0, 1, 2, 3], [10, 11, 12, 13]]);
    assert.equal(rows(shift(image(), 1, -1)), [[10, 11, 12, 13], [20, 21, 22, 23], [20, 21, 22, 23]]);
    assert.equal(rows(shift(image(), 1, 0)), rows(image()));
    assert.throws(() => shift(image(), 1, 3), /3 px/);
  });
});

test('views per mode: identity first, the counts ttaViewCount reports', () => {
  tf.tidy(() => {
    const x = image();
    for (const mode of TTA_MODES) {
      const views = ttaViews(x, mode);
      assert.is(views.length, ttaViewCount(mode), mode);
      assert.equal(rows(views[0]), rows(x), `${mode}: the first view is the image`);
      assert.ok(views.every((v) => v.shape.join() === x.shape.join()), mode);
    }
    assert.equal(rows(ttaViews(x, 'flip')[1]), [[3, 2, 1, 0], [13, 12, 11, 10], [23, 22, 21, 20]]);
    // The shift views are all different images.
    const distinct = new Set(ttaViews(x, 'shift').map((v) => JSON.stringify(rows(v))));
    assert.is(distinct.size, 10);
  });
});

test('predictWithTta: per-image mean over the views in one predict call, no tensors left', () => {
  // A "model" that reads one pixel: its output shows which view each row came from.
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 4, 1] }), tf.layers.dense({ units: 2, useBias: false, kernelInitializer: 'zeros' })] });
  const kernel = new Float32Array(12 * 2);
  kernel[0 * 2 + 0] = 1; // output 0 = top-left pixel
  kernel[11 * 2 + 1] = 1; // output 1 = bottom-right pixel
  model.layers[1].setWeights([tf.tensor2d(kernel, [12, 2])]);
  const batch = tf.concat([image(), tf.mul(image(), 2)], 0) as tf.Tensor4D;
  let calls = 0;
  const predict = model.predict.bind(model);
  model.predict = ((x: tf.Tensor) => { calls++; return predict(x); }) as typeof model.predict;
  const before = tf.memory().numTensors;
  const out = predictWithTta(model, batch, 'flip');
  assert.is(tf.memory().numTensors, before + 1);
  assert.is(calls, 1, 'one predict for all views');
  // flip: top-left is 0 or 3 (mean 1.5); bottom-right 23 or 20 (mean 21.5); the second image doubles.
  assert.equal(out.arraySync(), [[1.5, 21.5], [3, 43]]);
  out.dispose();
  const none = predictWithTta(model, batch, 'none');
  assert.equal(none.arraySync(), [[0, 23], [0, 46]]);
  none.dispose();
  batch.dispose();
  model.dispose();
});

test.run();
