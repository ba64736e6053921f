import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { train } from '../../training/train.ts';
import { trainAndExport } from '../../training/train-and-export.ts';
import { defaultTrainOptions, type TrainOptions } from '../../training/train-options.ts';
import { bestModelDir, loadCheckpoint } from '../../training/checkpoint.ts';
import { loadModelDir } from '../../pipeline/models/model-files.ts';
import type { ModelMetadata } from '../../pipeline/models/model-metadata.ts';
import { tempDir } from '../helpers/paths.ts';
import { writeTrainTestFolders } from '../helpers/emotion-fixtures.ts';

const tmp = tempDir('es-swa-');
const cwd = process.cwd();
let opts: TrainOptions;

test.before(() => {
  // As in train.test.ts: the dataset cache and the workers' `--import tsx` resolve from the working directory.
  symlinkSync(resolve('node_modules'), join(tmp.dir, 'node_modules'));
  process.chdir(tmp.dir);
  const data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 8, testPerClass: 4 });
  opts = defaultTrainOptions({
    data: data.train, arch: 'vgg-lite', epochs: 1, batchSize: 16, workers: 2, limit: 42, backend: 'wasm',
    learningRate: 1e-3, minLearningRate: 1e-3, swaStart: 1, runDir: join(tmp.dir, 'run'),
  });
});

test.after(() => {
  process.chdir(cwd);
  tmp.cleanup();
});

const BN_STATS = /moving_(mean|variance)/;

test('SWA: each epoch end joins the average, which is checkpointed, survives a resume and is validated every epoch', async () => {
  const first = await train(opts);
  first.model.dispose();
  const one = await loadCheckpoint(opts.runDir);
  assert.is(one?.swa?.count, 1);
  assert.equal(one!.swa!.weights.map((w) => Array.from(w)), one!.weights.map((w) => Array.from(w)), 'the average of one snapshot is that snapshot');
  // A second session resumes the run for one more epoch: the average continues from the checkpoint.
  const second = await train({ ...opts, epochs: 2 });
  const two = await loadCheckpoint(opts.runDir);
  assert.is(two?.swa?.count, 2);
  two!.swa!.weights.forEach((w, i) => w.forEach((v, j) => {
    const want = (one!.weights[i][j] + two!.weights[i][j]) / 2;
    assert.ok(Math.abs(v - want) < 1e-6 * Math.max(1, Math.abs(want)), `tensor ${i}[${j}]: ${v} != ${want}`);
  }));
  for (const h of second.state.history) {
    assert.ok(h.swaValAccuracy! >= 0 && h.swaValAccuracy! <= 1 && h.swaValLoss! > 0, `epoch ${h.epoch} validated the average`);
  }
  // The best model is the average when it validates better than the epoch's own weights. After 3
  // steps an epoch's own BatchNorm moving statistics are still mostly their initial values
  // (momentum 0.99), so here the recalibrated average always wins (measured: 86% and 100% against 14%).
  const best = second.state.best!;
  const record = second.state.history[best.epoch - 1];
  assert.ok(best.swa, `the average was the best model: ${JSON.stringify(second.state.history)}`);
  assert.is(best.valAccuracy, record.swaValAccuracy);
  const expected = best.epoch === 2 ? two!.swa!.weights : one!.swa!.weights;
  const saved = await loadModelDir(bestModelDir(opts.runDir)!);
  const names = saved.weights.map((w) => w.originalName);
  // Learned weights are the average; BatchNorm statistics were recomputed for them.
  saved.getWeights().forEach((w, i) => {
    if (BN_STATS.test(names[i])) return;
    assert.ok(w.dataSync().every((v, j) => Math.abs(v - expected[i][j]) < 1e-6), `${names[i]} is the average`);
  });
  const stats = saved.getWeights().filter((_, i) => BN_STATS.test(names[i])).map((w) => Array.from(w.dataSync()));
  const averagedStats = expected.filter((_, i) => BN_STATS.test(names[i])).map((w) => Array.from(w));
  assert.is(stats.length, 16, 'two statistics for each of the 8 BatchNorm layers');
  assert.not.equal(stats, averagedStats, 'moving statistics recomputed, not averaged');
  saved.dispose();
  second.model.dispose();
});

test('the export says the run averaged weights and whether the model is the average', async () => {
  const exportDir = join(tmp.dir, 'export');
  await trainAndExport({ ...opts, epochs: 2 }, { exportDir, version: 'swa' });
  const meta = JSON.parse(readFileSync(join(exportDir, 'metadata.json'), 'utf8')) as ModelMetadata;
  const ckpt = await loadCheckpoint(opts.runDir);
  assert.equal(meta.training.swa, { startEpoch: 1, exported: ckpt!.state.best!.swa ? 'average' : 'epoch' });
});

test('without swaStart nothing is averaged: no average in the checkpoint, no averaged figures per epoch', async () => {
  const plain = { ...opts, swaStart: undefined, runDir: join(tmp.dir, 'plain') };
  const result = await train(plain);
  result.model.dispose();
  const ckpt = await loadCheckpoint(plain.runDir);
  assert.is(ckpt!.swa, undefined);
  assert.is(result.state.history[0].swaValAccuracy, undefined);
  assert.is(result.state.best!.swa, undefined);
});

test.run();
