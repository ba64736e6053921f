import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TfjsEmotionClassifier } from '../../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { cropFaces } from '../../../pipeline/classifiers/face-crops.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import { saveModelDir } from '../../../pipeline/models/model-files.ts';
import type { ModelMetadata } from '../../../pipeline/models/model-metadata.ts';
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

/** Each face of a batch of crops, transformed pixel by pixel: out(y, x) = in(at(y, x)). */
function remap(crops: Float32Array, faces: number, size: number, at: (y: number, x: number) => [number, number]): Float32Array {
  const out = new Float32Array(crops.length);
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  for (let f = 0; f < faces; f++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const [sy, sx] = at(y, x);
        out[f * size * size + y * size + x] = crops[f * size * size + clamp(sy) * size + clamp(sx)];
      }
    }
  }
  return out;
}

/** tta averages the plain classifier's scores over views built here by hand. */
async function checkTta(mode: 'flip' | 'shift', views: Array<(y: number, x: number) => [number, number]>): Promise<void> {
  const plain = await TfjsEmotionClassifier.load(shipped);
  const tta = await TfjsEmotionClassifier.load(shipped, { tta: mode });
  try {
    assert.is(tta.tta, mode);
    const size = plain.inputSize;
    const crops = cropFaces(photo, FACES, size);
    const each = views.map((at) => plain.classify(remap(crops, FACES.length, size, at), FACES.length));
    const tensors = tf.memory().numTensors;
    const averaged = tta.classify(crops, FACES.length);
    assert.is(tf.memory().numTensors, tensors);
    averaged.forEach((s, i) => {
      for (const e of EMOTIONS) {
        const expected = each.reduce((sum, v) => sum + v[i][e], 0) / views.length;
        assert.ok(Math.abs(s[e] - expected) < 1e-4, `${mode}: face ${i} ${e} ${s[e]} vs ${expected}`);
      }
    });
    assert.ok(EMOTIONS.some((e) => Math.abs(each[0][0][e] - each[1][0][e]) > 1e-4), 'the views score differently, so the test can tell');
  } finally {
    plain.dispose();
    tta.dispose();
  }
}

const last = 47;
const identity = (y: number, x: number): [number, number] => [y, x];
const mirror = (y: number, x: number): [number, number] => [y, last - x];

test('tta flip averages each face with its mirror image', async () => {
  await checkTta('flip', [identity, mirror]);
});

test('tta shift averages the face and its mirror, each also moved 2 px four ways with edges repeated', async () => {
  const moved = (base: (y: number, x: number) => [number, number], dy: number, dx: number) =>
    (y: number, x: number): [number, number] => base(Math.min(last, Math.max(0, y - dy)), Math.min(last, Math.max(0, x - dx)));
  const views = [identity, mirror].flatMap((b) => [b, moved(b, 0, 2), moved(b, 0, -2), moved(b, 2, 0), moved(b, -2, 0)]);
  await checkTta('shift', views);
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
