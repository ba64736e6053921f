import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { train, type TrainProgress, type TrainResult } from '../../training/train.ts';
import { trainAndExport } from '../../training/train-and-export.ts';
import { defaultTrainOptions, type TrainOptions } from '../../training/train-options.ts';
import { bestModelDir, loadCheckpoint } from '../../training/checkpoint.ts';
import { loadModelDir } from '../../pipeline/models/model-files.ts';
import { predictDataset } from '../../training/predict-dataset.ts';
import { argmaxRows } from '../../training/metrics/argmax-rows.ts';
import type { EpochRecord } from '../../pipeline/models/evaluation-result.ts';
import type { ModelMetadata } from '../../pipeline/models/model-metadata.ts';
import { TfjsEmotionClassifier } from '../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { tempDir } from '../helpers/paths.ts';
import { writeImageFolder, writeTrainTestFolders } from '../helpers/emotion-fixtures.ts';

const tmp = tempDir('es-train-');
const cwd = process.cwd();
let data: { train: string; test: string };
let opts: TrainOptions;
let result: TrainResult;
const epochs: EpochRecord[] = [];
const progress: TrainProgress[] = [];
let tensorsLeft = 0;

test.before(async () => {
  // loadDataset caches decoded datasets under the working directory: keep that in the temp dir.
  // Worker threads inherit this process's `--import tsx`, which Node resolves from the working
  // directory, so the packages must be reachable from there too.
  symlinkSync(resolve('node_modules'), join(tmp.dir, 'node_modules'));
  process.chdir(tmp.dir);
  data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 8, testPerClass: 4 });
  opts = defaultTrainOptions({
    data: data.train, arch: 'vgg-lite', epochs: 2, batchSize: 16, workers: 2, limit: 42, backend: 'wasm', runDir: join(tmp.dir, 'run'),
  });
  const before = tf.memory().numTensors;
  result = await train(opts, { onEpoch: (r) => epochs.push(r), onProgress: (p) => progress.push(p) });
  tensorsLeft = tf.memory().numTensors - before;
});

test.after(() => {
  process.chdir(cwd);
  tmp.cleanup();
});

test('two epochs over the limited train set, validated on the PublicTest half of the sibling test/ folder', () => {
  assert.is(result.train.count, 42, '--limit 42, spread over every class');
  assert.equal(new Set(result.train.labels).size, 7);
  assert.is(result.val.count, 14);
  assert.ok(result.val.sources.every((s) => s.includes('PublicTest_')));
  assert.is(result.backend, 'wasm');
  assert.is(result.state.epochsDone, 2);
  assert.equal(result.state.history.map((h) => h.epoch), [1, 2]);
  assert.equal(epochs, result.state.history, 'onEpoch saw each record');
  for (const h of result.state.history) {
    for (const k of ['loss', 'valLoss', 'learningRate', 'seconds', 'imagesPerSec'] as const) assert.ok(Number.isFinite(h[k]) && h[k] > 0, `${k} = ${h[k]}`);
    assert.ok(h.accuracy >= 0 && h.accuracy <= 1 && h.valAccuracy >= 0 && h.valAccuracy <= 1);
  }
  assert.ok(result.state.history[1].learningRate < result.state.history[0].learningRate || result.state.history[0].learningRate < opts.learningRate, 'the schedule moves the rate');
  // 42 images in batches of 16: 3 steps per epoch, the last one of 10.
  assert.equal(progress.map((p) => `${p.epoch}:${p.batch}/${p.batches}`), ['1:1/3', '1:2/3', '1:3/3', '2:1/3', '2:2/3', '2:3/3']);
});

test('the run directory holds the last checkpoint (state = the returned state) and the best epoch\'s model', async () => {
  const ckpt = await loadCheckpoint(opts.runDir);
  assert.ok(ckpt);
  assert.is(ckpt.state.epochsDone, 2);
  assert.equal(ckpt.state.history, result.state.history);
  assert.is(ckpt.weights.length, result.model.getWeights().length);
  assert.ok(ckpt.optimizer.length > 1 && ckpt.optimizer[0].name === 'iter');
  assert.is(ckpt.optimizer[0].data[0], 6, 'Adam saw 6 steps');
  const bestAcc = Math.max(...result.state.history.map((h) => h.valAccuracy));
  assert.ok(result.state.best);
  assert.is(result.state.best.valAccuracy, bestAcc);
  assert.is(result.state.best.epoch, result.state.history.findIndex((h) => h.valAccuracy === bestAcc) + 1, 'first epoch with the best accuracy');
  // The best model is part of the checkpoint, so state.best and the model cannot disagree.
  assert.is(bestModelDir(opts.runDir), join(opts.runDir, 'checkpoint', 'best'));
  assert.ok(existsSync(join(opts.runDir, 'checkpoint', 'best', 'model.json')));
  // The returned model is that best model and scores exactly what its epoch recorded.
  const best = await loadModelDir(bestModelDir(opts.runDir)!);
  const predicted = argmaxRows(predictDataset(best, result.val), 7);
  const accuracy = predicted.filter((p, i) => p === result.val.labels[i]).length / result.val.count;
  assert.is(accuracy, bestAcc);
  assert.equal(best.getWeights().map((w) => Array.from(w.dataSync()).slice(0, 5)), result.model.getWeights().map((w) => Array.from(w.dataSync()).slice(0, 5)));
  best.dispose();
});

test('train() leaves nothing behind in tfjs memory but the returned model', () => {
  assert.is(tensorsLeft, result.model.getWeights().length);
});

test('trainAndExport on the finished run: a loadable model dir with metadata.json, report.json and report.html', async () => {
  const exportDir = join(tmp.dir, 'export', 'emotion', 't1');
  const summary = await trainAndExport(opts, { exportDir, version: 't1' });
  assert.is(summary.epochs, 2, 'nothing left to train: the checkpoint already holds both epochs');
  for (const f of ['model.json', 'weights.bin', 'metadata.json', 'report.json', 'report.html']) {
    assert.ok(existsSync(join(exportDir, f)), `${f} exported`);
    assert.ok(existsSync(join(opts.runDir, 'model', f)), `${f} copied into the run`);
  }
  const meta = JSON.parse(readFileSync(join(exportDir, 'metadata.json'), 'utf8')) as ModelMetadata;
  assert.equal(meta.classes, [...EMOTIONS]);
  assert.equal(meta.input.size, 48);
  assert.is(meta.input.channels, 1);
  assert.is(meta.version, 't1');
  assert.is(meta.architecture, 'vgg-lite');
  assert.is(meta.parameters, 1_176_359);
  assert.is(meta.training.epochs, 2);
  assert.is(meta.training.bestEpoch, result.state.best!.epoch);
  assert.equal(Object.keys(meta.metrics), ['test (28)', 'PrivateTest', 'PublicTest', 'test with flip TTA', 'test with shift TTA']);
  assert.equal(Object.values(meta.metrics).map((m) => m.count), [28, 14, 14, 28, 28]);
  for (const m of Object.values(meta.metrics)) {
    assert.ok(m.accuracy >= 0 && m.accuracy <= 1 && m.macroF1 >= 0 && m.macroF1 <= 1);
    assert.equal(Object.keys(m.perClassRecall), [...EMOTIONS]);
  }
  // PublicTest is the validation set: its accuracy is the best epoch's validation accuracy.
  assert.is(meta.metrics.PublicTest.accuracy, result.state.best!.valAccuracy);
  const report = JSON.parse(readFileSync(join(exportDir, 'report.json'), 'utf8'));
  assert.equal(report.history.map((h: EpochRecord) => h.epoch), [1, 2]);
  assert.is(report.evaluations.length, 5);
  assert.equal(report.evaluations[0].metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0), 28);
  const html = readFileSync(join(exportDir, 'report.html'), 'utf8');
  assert.match(html, /<html/i);
  // Curves and confusion matrices are SVG images embedded as data URIs (2 curves + 5 matrices).
  assert.ok((html.match(/src="data:image\/svg\+xml;base64,/g) ?? []).length >= 7, 'charts embedded');
  // The pipeline's own loader accepts it (classes, input shape) and classifies a face.
  const classifier = await TfjsEmotionClassifier.load(exportDir);
  assert.is(classifier.version, 'emotion@t1');
  const scores = classifier.classify(new Float32Array(48 * 48).fill(0.5), 1);
  assert.ok(Math.abs(Object.values(scores[0]).reduce((a, b) => a + b, 0) - 1) < 1e-4);
  classifier.dispose();
});

test('training learns: on classes told apart by brightness and stripes, the loss falls and validation accuracy is far above chance', async () => {
  // Three classes whose images differ plainly (mean gray 30 / 120 / 210; see emotion-fixtures.ts),
  // validated on images of the same classes never trained on.
  const classes = ['angry', 'happy', 'neutral'] as const;
  const root = join(tmp.dir, 'learnable');
  writeImageFolder(join(root, 'train'), { perClass: 12, classes });
  writeImageFolder(join(root, 'val'), { perClass: 6, classes, variantBase: 500 });
  // The tiny CNN and no augmentation keep it to seconds; the rate is raised to match its few steps.
  const learn = defaultTrainOptions({
    data: join(root, 'train'), valData: join(root, 'val'), arch: 'tiny', epochs: 10, batchSize: 8, workers: 2,
    learningRate: 0.01, minLearningRate: 0.001, augment: 'none', backend: 'wasm', runDir: join(tmp.dir, 'learn-run'),
  });
  const r = await train(learn);
  assert.is(new Set(r.train.labels).size, 3, 'three classes present (of the seven outputs)');
  assert.is(r.val.count, 18);
  const h = r.state.history;
  assert.is(h.length, 10);
  assert.ok(h.at(-1)!.loss < h[0].loss / 2, `training loss fell from ${h[0].loss} to ${h.at(-1)!.loss}`);
  assert.ok(h.at(-1)!.valLoss < h[0].valLoss, `validation loss fell from ${h[0].valLoss} to ${h.at(-1)!.valLoss}`);
  // The returned (best) model, scored here on the validation images: over twice chance (1/3 for
  // a guess among the three classes present).
  const predicted = argmaxRows(predictDataset(r.model, r.val), r.val.classes.length);
  const accuracy = predicted.filter((p, i) => p === r.val.labels[i]).length / r.val.count;
  assert.ok(accuracy > 2 / 3, `validation accuracy ${accuracy}`);
  r.model.dispose();
});

test.run();
