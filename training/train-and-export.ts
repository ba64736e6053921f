import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { train, type TrainHooks } from './train.ts';
import type { TrainOptions } from './train-options.ts';
import { loadDataset } from './datasets/load-dataset.ts';
import { privateTest, publicTest } from './datasets/split-filter.ts';
import type { FaceDataset } from './datasets/face-dataset.ts';
import { scoreDataset } from './predict-dataset.ts';
import { saveModelDir } from '../pipeline/models/model-files.ts';
import { writeTrainingReport } from './report/training-report.ts';
import { augmentationParams } from './engine/batch-builder.ts';
import { PREPROCESSING, type ModelMetadata } from '../pipeline/models/model-metadata.ts';
import type { EvaluationMetrics } from '../pipeline/models/evaluation-result.ts';
import { resolveModelDir } from '../pipeline/models/model-registry.ts';
import type { TtaMode } from '../config/schema.ts';

export interface EvaluationSet {
  name: string;
  metrics: EvaluationMetrics;
}

/** Metrics of `model` on a test set, its PrivateTest/PublicTest halves when present, and with flip and shift TTA. */
export function evaluateSets(model: tf.LayersModel, test: FaceDataset, label: string): EvaluationSet[] {
  const sets: EvaluationSet[] = [];
  const run = (name: string, ds: FaceDataset, tta: TtaMode = 'none') => {
    if (ds.count === 0) return;
    sets.push({ name, metrics: scoreDataset(model, ds, { tta }).metrics });
  };
  run(`${label} (${test.count})`, test);
  run('PrivateTest', privateTest(test));
  run('PublicTest', publicTest(test));
  run(`${label} with flip TTA`, test, 'flip');
  run(`${label} with shift TTA`, test, 'shift');
  return sets;
}

/**
 * Trains (or resumes), then evaluates the best epoch's model on the test data and writes a
 * model directory: model.json + weights.bin + metadata.json + report.json + report.html.
 */
export async function trainAndExport(options: TrainOptions, hooks: TrainHooks & { exportDir?: string; testData?: string; version?: string }): Promise<Record<string, unknown>> {
  const result = await train(options, hooks);
  const opts = result.state.options as unknown as TrainOptions;
  const testPath = hooks.testData ?? opts.valData ?? join(dirname(resolve(opts.data)), 'test');
  const test = existsSync(testPath) ? await loadDataset(testPath, { logger: hooks.logger }) : result.val;
  const evaluations = evaluateSets(result.model, test, existsSync(testPath) ? 'test' : 'validation');
  const outDir = hooks.exportDir ?? join(result.runDir, 'model');
  await mkdir(outDir, { recursive: true });
  await saveModelDir(result.model, outDir);
  const history = result.state.history;
  const imagesPerSec = history.length ? history.reduce((a, h) => a + h.imagesPerSec, 0) / history.length : 0;
  const metadata: ModelMetadata = {
    name: 'emotion',
    version: hooks.version ?? new Date().toISOString().slice(0, 10),
    architecture: opts.arch,
    parameters: result.model.countParams(),
    classes: [...result.train.classes],
    input: { size: result.train.size, channels: 1, preprocessing: PREPROCESSING },
    training: {
      data: shownPath(opts.data), validation: result.val.name.replace(opts.valData ?? testPath, shownPath(opts.valData ?? testPath)), epochs: result.state.epochsDone, bestEpoch: result.state.best?.epoch ?? null,
      backend: result.backend, workers: opts.workers, durationSeconds: Math.round(result.state.trainSeconds), imagesPerSec: Math.round(imagesPerSec),
      augmentation: augmentationParams(opts.augment) ? { preset: opts.augment === true ? 'notebook' : opts.augment, ...augmentationParams(opts.augment) } : null,
      ...(opts.initFrom ? { initializedFrom: await parentModel(opts.initFrom) } : {}),
      ...(opts.distill ? { distilledFrom: { version: (await readModelMetadata(opts.distill.from)).version, tta: opts.distill.tta, weight: opts.distill.weight } } : {}),
      ...(opts.swaStart ? { swa: { startEpoch: opts.swaStart, exported: result.state.best?.swa ? 'average' as const : 'epoch' as const } } : {}),
      optimizer: { name: 'adam', learningRate: opts.learningRate, minLearningRate: opts.minLearningRate, schedule: 'warmup+cosine', batchSize: opts.batchSize, classWeights: opts.classWeights },
    },
    metrics: Object.fromEntries(evaluations.map((e) => [e.name, {
      count: e.metrics.count, accuracy: e.metrics.accuracy, macroF1: e.metrics.macroF1,
      perClassRecall: Object.fromEntries(Object.entries(e.metrics.perClass).map(([k, v]) => [k, v.recall])),
    }])),
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(outDir, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
  await writeTrainingReport(outDir, {
    model: { name: metadata.name, version: metadata.version, architecture: opts.arch, parameters: metadata.parameters },
    training: {
      dataset: shownPath(opts.data), backend: result.backend, workers: opts.workers, epochs: result.state.epochsDone,
      durationSeconds: metadata.training.durationSeconds, imagesPerSec: metadata.training.imagesPerSec,
      augmentation: metadata.training.augmentation ?? {}, optimizer: metadata.training.optimizer,
      startedAt: result.state.startedAt, finishedAt: new Date().toISOString(),
    },
    history,
    evaluations,
  });
  if (hooks.exportDir && resolve(hooks.exportDir) !== resolve(join(result.runDir, 'model'))) await cp(outDir, join(result.runDir, 'model'), { recursive: true });
  return { runDir: result.runDir, modelDir: outDir, epochs: result.state.epochsDone, bestEpoch: result.state.best?.epoch, metrics: metadata.metrics };
}

/** The metadata of a model directory (or of a family folder's promoted version). */
async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  return JSON.parse(await readFile(join(resolveModelDir(dir), 'metadata.json'), 'utf8')) as ModelMetadata;
}

/** The parent of a fine-tuned model, as its metadata describes it. */
async function parentModel(dir: string): Promise<NonNullable<ModelMetadata['training']['initializedFrom']>> {
  const meta = await readModelMetadata(dir);
  return { version: meta.version, architecture: meta.architecture, epochs: meta.training.epochs, durationSeconds: meta.training.durationSeconds };
}

/** Paths as recorded in a shipped model's metadata: relative to where training ran, not this machine's layout. */
function shownPath(path: string): string {
  return relative(process.cwd(), path) || '.';
}
