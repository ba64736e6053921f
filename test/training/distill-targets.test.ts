import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { distillTargets, mixTargets } from '../../training/distill-targets.ts';
import { loadDataset } from '../../training/datasets/load-dataset.ts';
import { TfjsEmotionClassifier } from '../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { initBackend } from '../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../pipeline/models/model-registry.ts';
import { train } from '../../training/train.ts';
import { trainAndExport } from '../../training/train-and-export.ts';
import { defaultTrainOptions, type TrainOptions } from '../../training/train-options.ts';
import { isEmotionStreamError } from '../../common/errors.ts';
import type { FaceDataset } from '../../training/datasets/face-dataset.ts';
import type { ModelMetadata } from '../../pipeline/models/model-metadata.ts';
import { tempDir } from '../helpers/paths.ts';
import { writeTrainTestFolders } from '../helpers/emotion-fixtures.ts';

await initBackend('wasm');
const tmp = tempDir('es-distill-');
const cwd = process.cwd();
const shipped = resolveModelDir(shippedModelFamily());
let data: { train: string; test: string };
let ds: FaceDataset;

test.before(async () => {
  // As in train.test.ts: the dataset cache and the workers' `--import tsx` resolve from the working directory.
  symlinkSync(resolve('node_modules'), join(tmp.dir, 'node_modules'));
  process.chdir(tmp.dir);
  data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 6, testPerClass: 4 });
  ds = await loadDataset(data.train, { cache: false });
});

test.after(() => {
  process.chdir(cwd);
  tmp.cleanup();
});

const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;

test('mixTargets: (1 - w) * label + w * teacher, labels and pixels untouched; bad inputs are clear errors', () => {
  const teacher = Float32Array.from({ length: ds.targets.length }, (_, i) => ((i * 7) % 11) / 11);
  const mixed = mixTargets(ds, teacher, 0.3);
  mixed.targets.forEach((t, i) => assert.ok(close(t, 0.7 * ds.targets[i] + 0.3 * teacher[i]), `target ${i}`));
  assert.is(mixed.labels, ds.labels);
  assert.is(mixed.pixels, ds.pixels);
  assert.ok(ds.targets.every((t) => t === 0 || t === 1), 'the original dataset keeps its one-hot targets');
  assert.equal(Array.from(mixTargets(ds, teacher, 0).targets), Array.from(ds.targets));
  for (const [bad, code, text] of [[teacher.subarray(7), 'ERR_TRAINING', 'teacher predicted'], [teacher, 'ERR_USAGE', 'between 0 and 1']] as const) {
    try {
      mixTargets(ds, bad, bad === teacher ? 1.5 : 0.5);
      assert.unreachable('should throw');
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === code && err.message.includes(text), String(err));
    }
  }
});

test('distillTargets: the teacher classifies every training image in its TTA views, as the pipeline would', async () => {
  const { dataset, teacher, agreement } = await distillTargets(ds, { from: shippedModelFamily(), tta: 'flip', weight: 0.5 });
  const classifier = await TfjsEmotionClassifier.load(shipped, { tta: 'flip' });
  const k = ds.classes.length;
  const px = ds.size * ds.size;
  let agree = 0;
  for (let i = 0; i < ds.count; i++) {
    const crop = Float32Array.from(ds.pixels.subarray(i * px, (i + 1) * px), (v) => v / 255);
    const scores = classifier.classify(crop, 1)[0];
    const probs = ds.classes.map((c) => scores[c]);
    probs.forEach((p, c) => assert.ok(close(dataset.targets[i * k + c], 0.5 * ds.targets[i * k + c] + 0.5 * p), `image ${i} class ${c}`));
    if (probs.indexOf(Math.max(...probs)) === ds.labels[i]) agree++;
  }
  classifier.dispose();
  assert.is(teacher, classifier.version);
  assert.ok(close(agreement, agree / ds.count), `${agreement} vs ${agree / ds.count}`);
});

test('training with distill: the run trains on the mixed targets and the export names the teacher', async () => {
  const opts: TrainOptions = defaultTrainOptions({
    data: data.train, arch: 'seed', epochs: 1, batchSize: 14, workers: 2, backend: 'wasm', augment: 'none',
    learningRate: 1e-3, minLearningRate: 1e-3, runDir: join(tmp.dir, 'distilled'), distill: { from: shipped, tta: 'none', weight: 0.25 },
  });
  // The training set handed to the workers is the one the result reports.
  const result = await train(opts);
  result.model.dispose();
  const expected = (await distillTargets(ds, opts.distill!)).dataset.targets;
  assert.is(result.train.count, ds.count);
  result.train.targets.forEach((t, i) => assert.ok(close(t, expected[i]), `target ${i}: ${t} vs ${expected[i]}`));
  assert.ok(result.train.targets.some((t) => t > 0 && t < 0.75), 'soft targets, not one-hot');
  const exportDir = join(tmp.dir, 'export');
  await trainAndExport({ ...opts, distill: { ...opts.distill!, tta: 'shift' }, runDir: join(tmp.dir, 'exported') }, { exportDir, version: 'student' });
  const meta = JSON.parse(readFileSync(join(exportDir, 'metadata.json'), 'utf8')) as ModelMetadata;
  const shippedVersion = (JSON.parse(readFileSync(join(shipped, 'metadata.json'), 'utf8')) as ModelMetadata).version;
  assert.equal(meta.training.distilledFrom, { version: shippedVersion, tta: 'shift', weight: 0.25 });
});

test.run();
