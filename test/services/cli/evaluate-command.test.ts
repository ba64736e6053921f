import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { loadModelDir, saveModelDir } from '../../../pipeline/models/model-files.ts';
import { loadDataset } from '../../../training/datasets/load-dataset.ts';
import { scoreDataset } from '../../../training/predict-dataset.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import { initTfBackend } from '../../../pipeline/models/tf-backend.ts';
import { TTA_MODES } from '../../../config/schema.ts';
import cv from '../../../pipeline/opencv.ts';
import { faceApiSamplePhoto, tempDir } from '../../helpers/paths.ts';
import { sample3WithFaces } from '../../helpers/sample-faces.ts';
import { lines, runCli } from '../../helpers/run-cli.ts';
import { classLevel, writeFerCsv, writeFerPlusSplit, writeImageFolder, writeKaggleFolders } from '../../helpers/emotion-fixtures.ts';

const tmp = tempDir('es-evaluate-cli-');
test.after(() => tmp.cleanup());
const cwd = tmp.dir;
const modelDir = join(tmp.dir, 'model');
const forms = {
  'kaggle-folders': join(tmp.dir, 'fer2013', 'test'),
  'ferplus split': join(tmp.dir, 'ferplus', 'FER2013Valid'),
  'fer2013.csv': join(tmp.dir, 'fer2013.csv'),
  'image folder': join(tmp.dir, 'mine'),
};

/**
 * Centres (gray levels) the fixture model assigns each class to; a face goes to the class whose
 * centre is nearest its mean gray level. The fixtures' class levels are 30, 60, ..., 210, so:
 * disgust (250) is never predicted and its faces (60) go to fear (80); sad and surprise are swapped.
 * That gives a confusion matrix with off-diagonal cells and a class predicted by nothing.
 */
const CENTRES = [30, 250, 80, 120, 150, 210, 180];

/** A dense softmax layer on the flattened face scoring 2*c*m - c^2 (= -(m - c)^2 up to a constant). */
async function writeFixtureModel(): Promise<void> {
  const area = 48 * 48;
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [48, 48, 1] }));
  model.add(tf.layers.dense({ units: 7, activation: 'softmax' }));
  const sharp = 40;
  const c = CENTRES.map((v) => v / 255);
  const kernel = new Float32Array(area * 7);
  for (let p = 0; p < area; p++) for (let k = 0; k < 7; k++) kernel[p * 7 + k] = (sharp * 2 * c[k]) / area;
  model.setWeights([tf.tensor2d(kernel, [area, 7]), tf.tensor1d(c.map((v) => -sharp * v * v))]);
  await saveModelDir(model, modelDir);
  const metadata = {
    name: 'emotion', version: 'fixture', architecture: 'nearest-gray-level', parameters: model.countParams(), classes: [...EMOTIONS],
    input: { size: 48, channels: 1, preprocessing: 'divide by 255' }, training: {}, metrics: {}, createdAt: new Date().toISOString(),
  };
  writeFileSync(join(modelDir, 'metadata.json'), JSON.stringify(metadata));
  model.dispose();
}

test.before(async () => {
  await tf.setBackend('cpu');
  writeKaggleFolders(forms['kaggle-folders'], { perClass: 2, usage: 'split' });
  writeFerPlusSplit(forms['ferplus split'], { perClass: 2, variantBase: 10 });
  writeFerCsv(forms['fer2013.csv'], { perClass: 2, variantBase: 20 });
  writeImageFolder(forms['image folder'], { perClass: 3, classes: ['angry', 'happy', 'sad'], variantBase: 30 });
  await writeFixtureModel();
});

interface Summary {
  accuracy: number;
  macro_f1: number;
  per_class_recall: Record<string, number>;
  confusion: number[][];
  count: number;
}

/** Metrics computed here from the model's own predictions (scikit-learn's zero_division=0). */
async function expectedMetrics(data: string): Promise<Summary & { predicted: number[]; labels: number[] }> {
  const ds = await loadDataset(data, { cache: false });
  const model = await loadModelDir(modelDir);
  const probs = tf.tidy(() => (model.predict(tf.div(tf.tensor4d(Float32Array.from(ds.pixels), [ds.count, 48, 48, 1]), 255)) as tf.Tensor).arraySync() as number[][]);
  model.dispose();
  const predicted = probs.map((row) => row.indexOf(Math.max(...row)));
  const labels = Array.from(ds.labels);
  const confusion = EMOTIONS.map(() => EMOTIONS.map(() => 0));
  labels.forEach((t, i) => { confusion[t][predicted[i]]++; });
  const recall: Record<string, number> = {};
  let f1Sum = 0;
  EMOTIONS.forEach((e, k) => {
    const tp = confusion[k][k];
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[k], 0);
    const r = support ? tp / support : 0;
    const p = predictedAs ? tp / predictedAs : 0;
    recall[e] = r;
    f1Sum += p + r ? (2 * p * r) / (p + r) : 0;
  });
  const correct = labels.filter((t, i) => t === predicted[i]).length;
  return { accuracy: correct / labels.length, macro_f1: f1Sum / EMOTIONS.length, per_class_recall: recall, confusion, count: labels.length, predicted, labels };
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;

for (const [form, data] of Object.entries(forms)) {
  test(`evaluate --json on ${form}: the last stdout line is one JSON object whose numbers match the model's predictions`, async () => {
    const r = await runCli(['evaluate', '--model', modelDir, '--data', data, '--json'], { cwd });
    assert.is(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    const got = JSON.parse(out[out.length - 1]) as Summary;
    const want = await expectedMetrics(data);
    for (const key of ['accuracy', 'macro_f1', 'per_class_recall', 'confusion', 'count']) assert.ok(key in got, `has ${key}`);
    assert.is(got.count, want.count);
    assert.equal(Object.keys(got.per_class_recall), [...EMOTIONS]);
    assert.is(got.confusion.length, 7);
    assert.ok(got.confusion.every((row) => row.length === 7));
    assert.equal(got.confusion, want.confusion, 'confusion[true][predicted]');
    assert.is(got.accuracy, round4(want.accuracy));
    assert.is(got.macro_f1, round4(want.macro_f1));
    for (const e of EMOTIONS) assert.is(got.per_class_recall[e], round4(want.per_class_recall[e]), `recall of ${e}`);
    // The fixture model behaves as designed, so the numbers above are not trivially equal.
    const designed = want.labels.map((t) => CENTRES.reduce((best, c, k) => (Math.abs(classLevel(t) - c) < Math.abs(classLevel(t) - CENTRES[best]) ? k : best), 0));
    assert.equal(want.predicted, designed, 'predictions follow the nearest centre');
  });
}

test('evaluate without --json prints the metrics table', async () => {
  const r = await runCli(['evaluate', '--model', modelDir, '--data', forms['kaggle-folders']], { cwd });
  assert.is(r.code, 0, r.stderr);
  for (const e of EMOTIONS) assert.ok(r.stdout.includes(e), `table lists ${e}`);
  assert.not.match(lines(r.stdout).at(-1)!, /^\{/);
});

/** Runs a failing evaluate and returns its single stderr line. */
async function failure(args: string[], code: number): Promise<string> {
  const r = await runCli(['evaluate', ...args, '--json'], { cwd });
  assert.is(r.code, code, r.stderr);
  const all = lines(r.stderr);
  assert.is(all.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
  assert.is(r.stdout, '');
  return all[0];
}

/**
 * Real faces for --tta: sample3's three faces, each cropped 18 ways (moved by a quarter of the box,
 * 0.8x and 1.2x its size). The fixture model above answers alike for a face and its mirror or
 * shifted views; the shipped CNN changes its answer with the view for some of these crops.
 */
function writeRealFaceCrops(dir: string): void {
  const { faces } = sample3WithFaces();
  const photo = cv.imread(faceApiSamplePhoto(3));
  const labels = ['neutral', 'happy', 'happy'];
  faces.forEach((f, i) => {
    mkdirSync(join(dir, labels[i]), { recursive: true });
    let n = 0;
    for (const scale of [0.8, 1.2]) for (const dx of [-0.25, 0, 0.25]) for (const dy of [-0.25, 0, 0.25]) {
      const side = Math.round(f.width * scale);
      const x = Math.round(f.x + f.width / 2 + dx * f.width - side / 2);
      const y = Math.round(f.y + f.height / 2 + dy * f.height - side / 2);
      cv.imwrite(join(dir, labels[i], `face${i}-${n++}.jpg`), photo.getRegion(new cv.Rect(x, y, side, side)));
    }
  });
  photo.release();
}

test('evaluate --tta flip / shift: on real faces the figures change with the mode, and are the ones its TTA views give', async () => {
  const data = join(tmp.dir, 'real-faces');
  writeRealFaceCrops(data);
  const shipped = resolveModelDir(shippedModelFamily());
  // The same backend here as in the command, so the figures match exactly.
  await initTfBackend('wasm');
  const ds = await loadDataset(data, { cache: false });
  const model = await loadModelDir(shipped);
  try {
    const plain = scoreDataset(model, ds, { tta: 'none' }).metrics;
    for (const mode of TTA_MODES) {
      const want = scoreDataset(model, ds, { tta: mode }).metrics;
      if (mode !== 'none') assert.not.equal(want.confusion, plain.confusion, `${mode} views change some predictions (or this test could not tell --tta from a no-op)`);
      const r = await runCli(['evaluate', '--model', shipped, '--data', data, '--backend', 'wasm', '--tta', mode, '--json'], { cwd });
      assert.is(r.code, 0, r.stderr);
      const got = JSON.parse(lines(r.stdout).at(-1)!) as Summary & { tta: string };
      assert.is(got.tta, mode);
      assert.is(got.count, 54);
      assert.equal(got.confusion, want.confusion, `${mode}: confusion[true][predicted]`);
      assert.is(got.accuracy, round4(want.accuracy), mode);
      assert.is(got.macro_f1, round4(want.macroF1), mode);
      for (const e of EMOTIONS) assert.is(got.per_class_recall[e], round4(want.perClass[e].recall), `${mode}: recall of ${e}`);
    }
  } finally {
    model.dispose();
    await tf.setBackend('cpu');
  }
});

test('an unknown --tta is a usage error (exit 2)', async () => {
  assert.match(await failure(['--model', modelDir, '--data', forms['fer2013.csv'], '--tta', 'rotate'], 2), /--tta must be one of none, flip, shift, got "rotate" \[ERR_USAGE\]$/);
});

test('a missing model directory: exit 1, ERR_MODEL_LOAD', async () => {
  const line = await failure(['--model', join(tmp.dir, 'no-model'), '--data', forms['fer2013.csv']], 1);
  assert.match(line, /^emotion-stream: model directory not found: .*no-model \[ERR_MODEL_LOAD\]$/);
});

test('a corrupt model.json: exit 1, ERR_MODEL_LOAD naming the file', async () => {
  const dir = join(tmp.dir, 'bad-json');
  cpSync(modelDir, dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), readFileSync(join(dir, 'model.json'), 'utf8').slice(0, 100));
  assert.match(await failure(['--model', dir, '--data', forms['fer2013.csv']], 1), /bad-json\/model\.json is not valid JSON \[ERR_MODEL_LOAD\]$/);
});

test('a truncated weights.bin: exit 1, ERR_MODEL_LOAD', async () => {
  const dir = join(tmp.dir, 'short-weights');
  cpSync(modelDir, dir, { recursive: true });
  truncateSync(join(dir, 'weights.bin'), 1000);
  assert.match(await failure(['--model', dir, '--data', forms['fer2013.csv']], 1), /weights in .*short-weights hold 1000 bytes, .*truncated.*\[ERR_MODEL_LOAD\]$/);
});

test('a missing data path: exit 1, ERR_DATASET', async () => {
  assert.match(await failure(['--model', modelDir, '--data', join(tmp.dir, 'nothing-here')], 1), /nothing-here does not exist.*\[ERR_DATASET\]$/);
});

test('an unknown --backend is a usage error (exit 2), not a silent fallback', async () => {
  assert.match(await failure(['--model', modelDir, '--data', forms['fer2013.csv'], '--backend', 'gpu'], 2), /--backend must be one of auto, tensorflow, wasm, cpu, got "gpu" \[ERR_USAGE\]$/);
});

test.run();
