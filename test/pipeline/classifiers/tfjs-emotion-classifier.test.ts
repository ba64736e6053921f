import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TfjsEmotionClassifier } from '../../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { cropFaces } from '../../../pipeline/classifiers/face-crops.ts';
import { isEmotionStreamError } from '../../../pipeline/errors.ts';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../../training/registry/model-registry.ts';
import { saveModelDir } from '../../../training/registry/model-files.ts';
import type { ModelMetadata } from '../../../training/model-metadata.ts';
import { tempDir } from '../../helpers/paths.ts';
import { sample3WithFaces } from '../../helpers/sample-faces.ts';

await initBackend('wasm');
const shipped = resolveModelDir(shippedModelFamily());
const shippedMeta = JSON.parse(readFileSync(join(shipped, 'metadata.json'), 'utf8')) as ModelMetadata;
const tmp = tempDir('es-tfjs-classifier-');
test.after(() => tmp.cleanup());

const { photo, faces: FACES } = sample3WithFaces();

/** A copy of the shipped model directory, changed by `edit` (which receives the copy's path). */
function brokenCopy(name: string, edit: (dir: string) => void): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  for (const file of ['model.json', 'weights.bin', 'metadata.json']) copyFileSync(join(shipped, file), join(dir, file));
  edit(dir);
  return dir;
}

function editMetadata(dir: string, change: (meta: Record<string, unknown>) => void): void {
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
  change(meta);
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
}

async function expectLoadError(dir: string, code: string, mentions: string[]): Promise<void> {
  const tensors = tf.memory().numTensors;
  try {
    await TfjsEmotionClassifier.load(dir);
    assert.unreachable(`loading ${dir} should fail with ${code}`);
  } catch (err) {
    assert.ok(isEmotionStreamError(err), `a coded error, got ${String(err)}`);
    assert.is(err.code, code, err.message);
    for (const text of mentions) assert.ok(err.message.includes(text), `"${err.message}" should mention ${text}`);
  }
  assert.is(tf.memory().numTensors, tensors, 'a refused model leaves no weights behind');
}

test('loads the shipped model: version, input size and classes from its metadata', async () => {
  const classifier = await TfjsEmotionClassifier.load(shipped);
  try {
    assert.is(classifier.version, `${shippedMeta.name}@${shippedMeta.version}`);
    assert.is(classifier.inputSize, shippedMeta.input.size);
    assert.equal(classifier.metadata.classes, [...EMOTIONS]);
    assert.equal(classifier.model.inputs[0].shape, [null, classifier.inputSize, classifier.inputSize, 1]);
  } finally {
    classifier.dispose();
  }
});

test('flipTta averages each face with its mirror image', async () => {
  const plain = await TfjsEmotionClassifier.load(shipped);
  const tta = await TfjsEmotionClassifier.load(shipped, { flipTta: true });
  try {
    const size = plain.inputSize;
    const crops = cropFaces(photo, FACES, size);
    const mirrored = new Float32Array(crops.length);
    for (let f = 0; f < FACES.length; f++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) mirrored[f * size * size + y * size + x] = crops[f * size * size + y * size + (size - 1 - x)];
      }
    }
    const a = plain.classify(crops, FACES.length);
    const b = plain.classify(mirrored, FACES.length);
    const tensors = tf.memory().numTensors;
    const both = tta.classify(crops, FACES.length);
    assert.is(tf.memory().numTensors, tensors);
    both.forEach((s, i) => {
      for (const e of EMOTIONS) assert.ok(Math.abs(s[e] - (a[i][e] + b[i][e]) / 2) < 1e-4, `face ${i} ${e}`);
    });
    assert.ok(EMOTIONS.some((e) => Math.abs(a[0][e] - b[0][e]) > 1e-4), 'a face and its mirror score differently, so the test can tell');
  } finally {
    plain.dispose();
    tta.dispose();
  }
});

test('classify: 7 probabilities summing to 1 per face, in face order, without leaking tensors', async () => {
  const classifier = await TfjsEmotionClassifier.load(shipped);
  try {
    const crops = cropFaces(photo, FACES, classifier.inputSize);
    const tensors = tf.memory().numTensors;
    const scores = classifier.classify(crops, FACES.length);
    assert.is(tf.memory().numTensors, tensors, 'every intermediate tensor is disposed');
    assert.is(scores.length, 3);
    for (const s of scores) {
      assert.equal(Object.keys(s).sort(), [...EMOTIONS].sort());
      assert.ok(EMOTIONS.every((e) => s[e] >= 0 && s[e] <= 1), JSON.stringify(s));
      const sum = EMOTIONS.reduce((n, e) => n + s[e], 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `sum ${sum}`);
    }
    // Face i of the batch is the same face classified on its own.
    const px = classifier.inputSize ** 2;
    const second = classifier.classify(crops.subarray(px, 2 * px), 1)[0];
    for (const e of EMOTIONS) assert.ok(Math.abs(second[e] - scores[1][e]) < 1e-4, `${e}: ${second[e]} vs ${scores[1][e]}`);
    // `count` decides how many crops are read.
    assert.is(classifier.classify(crops, 2).length, 2);
    assert.equal(classifier.classify(new Float32Array(0), 0), []);
  } finally {
    classifier.dispose();
  }
});

test('metadata listing other classes (or another order) is refused with ERR_MODEL_INVALID', async () => {
  const reordered = brokenCopy('reordered', (dir) => editMetadata(dir, (m) => { m.classes = [...EMOTIONS].reverse(); }));
  await expectLoadError(reordered, 'ERR_MODEL_INVALID', [join(reordered, 'metadata.json'), 'classes']);
  const six = brokenCopy('six-classes', (dir) => editMetadata(dir, (m) => { m.classes = EMOTIONS.slice(0, 6); }));
  await expectLoadError(six, 'ERR_MODEL_INVALID', ['classes']);
  const unnamed = brokenCopy('unnamed', (dir) => editMetadata(dir, (m) => { delete m.version; }));
  await expectLoadError(unnamed, 'ERR_MODEL_INVALID', ['version']);
});

test('metadata whose input size does not match the network is refused with ERR_MODEL_INVALID', async () => {
  const dir = brokenCopy('input-64', (d) => editMetadata(d, (m) => { m.input = { size: 64, channels: 1 }; }));
  await expectLoadError(dir, 'ERR_MODEL_INVALID', [dir, '64']);
});

test('a network with six outputs is refused with ERR_MODEL_INVALID', async () => {
  const dir = join(tmp.dir, 'six-outputs');
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [48, 48, 1] }), tf.layers.dense({ units: 6, activation: 'softmax' })] });
  await saveModelDir(model, dir);
  model.dispose();
  copyFileSync(join(shipped, 'metadata.json'), join(dir, 'metadata.json'));
  editMetadata(dir, (m) => { m.input = { size: 48, channels: 1 }; });
  await expectLoadError(dir, 'ERR_MODEL_INVALID', ['6 classes']);
});

test('missing or unreadable metadata.json is ERR_MODEL_LOAD naming the file', async () => {
  const missing = brokenCopy('no-metadata', (dir) => rmSync(join(dir, 'metadata.json')));
  await expectLoadError(missing, 'ERR_MODEL_LOAD', [join(missing, 'metadata.json'), 'missing']);
  const garbage = brokenCopy('bad-metadata', (dir) => writeFileSync(join(dir, 'metadata.json'), '{"name": "emo'));
  await expectLoadError(garbage, 'ERR_MODEL_LOAD', [join(garbage, 'metadata.json'), 'not valid JSON']);
});

test('a corrupt or missing model.json is ERR_MODEL_LOAD naming the path', async () => {
  const corrupt = brokenCopy('corrupt-json', (dir) => writeFileSync(join(dir, 'model.json'), 'garbage{'));
  await expectLoadError(corrupt, 'ERR_MODEL_LOAD', [join(corrupt, 'model.json')]);
  const notLayers = brokenCopy('not-layers', (dir) => writeFileSync(join(dir, 'model.json'), '{"format": "graph-model"}'));
  await expectLoadError(notLayers, 'ERR_MODEL_LOAD', [join(notLayers, 'model.json')]);
  const missing = brokenCopy('no-model-json', (dir) => rmSync(join(dir, 'model.json')));
  await expectLoadError(missing, 'ERR_MODEL_LOAD', [missing, 'model.json']);
});

test('a truncated or missing weights.bin is ERR_MODEL_LOAD naming the path', async () => {
  const truncated = brokenCopy('truncated-weights', (dir) => {
    const bytes = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), bytes.subarray(0, bytes.length - 1000));
  });
  await expectLoadError(truncated, 'ERR_MODEL_LOAD', [truncated, 'truncated']);
  const missing = brokenCopy('no-weights', (dir) => rmSync(join(dir, 'weights.bin')));
  await expectLoadError(missing, 'ERR_MODEL_LOAD', [join(missing, 'weights.bin')]);
});

test('a directory that does not exist is ERR_MODEL_LOAD naming it', async () => {
  const dir = join(tmp.dir, 'nowhere');
  await expectLoadError(dir, 'ERR_MODEL_LOAD', [dir]);
});

test.run();
