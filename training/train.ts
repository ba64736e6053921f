import * as tf from '@tensorflow/tfjs';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../pipeline/logger.ts';
import { silentLogger } from '../pipeline/logger.ts';
import { EmotionStreamError } from '../common/errors.ts';
import { initBackend } from './engine/backend.ts';
import { DataParallelTrainer } from './engine/data-parallel.ts';
import { learningRateAt } from './engine/lr-schedule.ts';
import { seededPermutation } from './engine/seeded-shuffle.ts';
import { augmentationParams } from './engine/batch-builder.ts';
import { WeightAverage } from './engine/weight-average.ts';
import { recalibrateBatchNorm } from './engine/recalibrate-batch-norm.ts';
import { buildArchitecture } from './architectures/architecture.ts';
import { loadTrainData } from './load-train-data.ts';
import type { FaceDataset } from './datasets/face-dataset.ts';
import { classWeightsFor } from './class-weights.ts';
import { crossEntropy, scoreDataset } from './predict-dataset.ts';
import { bestModelDir, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { loadModelDir, saveModelDir } from '../pipeline/models/model-files.ts';
import type { EpochRecord } from '../pipeline/models/evaluation-result.ts';
import type { TrainOptions } from './train-options.ts';

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  etaSeconds: number;
}

export interface TrainHooks {
  logger?: Logger;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface TrainResult {
  runDir: string;
  /** The best epoch's model (highest validation accuracy). */
  model: tf.LayersModel;
  state: TrainState;
  backend: string;
  train: FaceDataset;
  val: FaceDataset;
}

/** Starts a run, or continues it from its last checkpoint when `runDir` already holds one. */
export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const logger = hooks.logger ?? silentLogger();
  const backend = await initBackend(options.backend);
  const ckpt = await loadCheckpoint(options.runDir);
  const opts = ckpt ? { ...(ckpt.state.options as unknown as TrainOptions), epochs: options.epochs, runDir: options.runDir } : options;
  await mkdir(opts.runDir, { recursive: true });
  logger.info({ runDir: opts.runDir, backend, arch: opts.arch, resumedAtEpoch: ckpt?.state.epochsDone }, ckpt ? 'resuming training' : 'starting training');
  const { trainSet, valSet } = await loadTrainData(opts, logger);
  const model = buildArchitecture(opts.arch, { inputSize: trainSet.size, classes: trainSet.classes.length });
  const trainer = await DataParallelTrainer.start({
    workers: opts.workers, arch: opts.arch, inputSize: trainSet.size, classes: trainSet.classes.length,
    learningRate: opts.learningRate, backend, pixels: trainSet.pixels, targets: trainSet.targets,
    classWeights: classWeightsFor(trainSet, opts.classWeights), augment: augmentationParams(opts.augment),
  });
  const state: TrainState = ckpt ? { ...ckpt.state, options: opts as unknown as Record<string, unknown> } : {
    version: 1, options: opts as unknown as Record<string, unknown>, epochsDone: 0, history: [], best: null, trainSeconds: 0, startedAt: new Date().toISOString(),
  };
  try {
    if (ckpt) setModelWeights(model, ckpt.weights);
    else if (opts.initFrom) await initWeightsFrom(model, opts);
    await trainer.setWeights(model.getWeights().map((w) => w.dataSync() as Float32Array), ckpt?.optimizer ?? null);
    const swa = opts.swaStart ? new WeightAverage(ckpt?.swa) : undefined;
    await runEpochs({ opts, state, trainer, model, trainSet, valSet, swa }, { ...hooks, logger });
  } finally {
    await trainer.close();
  }
  const best = await bestModel(opts.runDir, model);
  if (best !== model) model.dispose();
  return { runDir: opts.runDir, model: best, state, backend, train: trainSet, val: valSet };
}

interface RunContext {
  opts: TrainOptions;
  state: TrainState;
  trainer: DataParallelTrainer;
  model: tf.LayersModel;
  trainSet: FaceDataset;
  valSet: FaceDataset;
  swa?: WeightAverage;
}

async function runEpochs(ctx: RunContext, hooks: TrainHooks & { logger: Logger }): Promise<void> {
  const { opts, state } = ctx;
  for (let epoch = state.epochsDone; epoch < opts.epochs; epoch++) {
    const record = await runEpoch(ctx, epoch, hooks);
    const weights = ctx.model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
    const averaged = ctx.swa && epoch + 1 >= (opts.swaStart ?? Infinity) ? averagedModel(ctx, weights) : undefined;
    if (averaged) Object.assign(record, { swaValLoss: averaged.val.loss, swaValAccuracy: averaged.val.accuracy });
    state.history.push(record);
    state.epochsDone = epoch + 1;
    state.trainSeconds += record.seconds;
    const candidate = averaged && averaged.val.accuracy > record.valAccuracy
      ? { epoch: epoch + 1, valAccuracy: averaged.val.accuracy, swa: true as const, model: averaged.model }
      : { epoch: epoch + 1, valAccuracy: record.valAccuracy, model: ctx.model };
    const improved = !state.best || candidate.valAccuracy > state.best.valAccuracy;
    if (improved) state.best = { epoch: candidate.epoch, valAccuracy: candidate.valAccuracy, ...(candidate.swa ? { swa: true as const } : {}) };
    try {
      await saveCheckpoint(opts.runDir, {
        state, weights, optimizer: (await ctx.trainer.state()).optimizer,
        ...(ctx.swa && ctx.swa.count > 0 ? { swa: { count: ctx.swa.count, weights: ctx.swa.weights()! } } : {}),
      }, improved ? (dir) => saveModelDir(candidate.model, dir) : undefined);
    } finally {
      averaged?.model.dispose();
    }
    hooks.onEpoch?.(record);
    hooks.logger.info({ ...record, best: state.best }, 'epoch done');
    if (state.best && epoch + 1 - state.best.epoch >= opts.patience) {
      hooks.logger.info({ patience: opts.patience, best: state.best }, 'early stopping: validation accuracy stopped improving');
      break;
    }
  }
}

/**
 * Adds this epoch's weights to the running average and builds the averaged model with its
 * BatchNorm statistics recomputed on the training images, validated like an epoch.
 */
function averagedModel(ctx: RunContext, weights: Float32Array[]): { model: tf.LayersModel; val: { loss: number; accuracy: number } } {
  ctx.swa!.add(weights);
  const model = buildArchitecture(ctx.opts.arch, { inputSize: ctx.trainSet.size, classes: ctx.trainSet.classes.length });
  setModelWeights(model, ctx.swa!.weights()!);
  recalibrateBatchNorm(model, ctx.trainSet, { seed: ctx.opts.seed });
  return { model, val: validate(model, ctx.valSet) };
}

async function runEpoch(ctx: RunContext, epoch: number, hooks: TrainHooks): Promise<EpochRecord> {
  const { opts, trainer, trainSet } = ctx;
  const started = Date.now();
  const order = seededPermutation(trainSet.count, opts.seed, epoch);
  const batches = Math.ceil(trainSet.count / opts.batchSize);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let lr = opts.learningRate;
  for (let b = 0; b < batches; b++) {
    const schedule = { baseLr: opts.learningRate, minLr: opts.minLearningRate, warmupEpochs: opts.warmupEpochs, epochs: opts.epochs };
    lr = learningRateAt(schedule, epoch + b / batches);
    const indices = order.subarray(b * opts.batchSize, Math.min(trainSet.count, (b + 1) * opts.batchSize));
    const r = await trainer.step(indices, opts.seed * 1_000_003 + epoch * 10_007 + b, lr);
    lossSum += r.lossSum;
    correct += r.correct;
    seen += r.count;
    const secs = (Date.now() - started) / 1000;
    hooks.onProgress?.({
      epoch: epoch + 1, epochs: opts.epochs, batch: b + 1, batches, loss: lossSum / seen, accuracy: correct / seen,
      imagesPerSec: seen / Math.max(secs, 1e-3), etaSeconds: (secs / seen) * (trainSet.count - seen + (opts.epochs - epoch - 1) * trainSet.count),
    });
  }
  await trainer.flush(lr);
  const { weights } = await trainer.state();
  setModelWeights(ctx.model, weights);
  const seconds = (Date.now() - started) / 1000;
  const val = validate(ctx.model, ctx.valSet);
  return { epoch: epoch + 1, loss: lossSum / seen, accuracy: correct / seen, valLoss: val.loss, valAccuracy: val.accuracy, learningRate: lr, seconds, imagesPerSec: seen / seconds };
}

function validate(model: tf.LayersModel, ds: FaceDataset): { loss: number; accuracy: number } {
  const { probs, metrics } = scoreDataset(model, ds);
  return { loss: crossEntropy(probs, ds), accuracy: metrics.accuracy };
}

/** setWeights from flat arrays; tidy frees the temporary tensors (the variables keep their own copy). */
function setModelWeights(model: tf.LayersModel, weights: Float32Array[]): void {
  tf.tidy(() => model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape))));
}

/** Fine-tuning: copy every weight of an exported model of the same architecture, or say what differs. */
async function initWeightsFrom(model: tf.LayersModel, opts: TrainOptions): Promise<void> {
  const source = await loadModelDir(opts.initFrom!);
  try {
    const want = model.getWeights().map((w) => w.shape.join('x'));
    const got = source.getWeights().map((w) => w.shape.join('x'));
    if (want.join() !== got.join()) {
      throw new EmotionStreamError('ERR_USAGE', `--init-from ${opts.initFrom}: its weights (${got.length} tensors) do not fit --arch ${opts.arch} (${want.length} tensors); train with that model's architecture`, { context: { initFrom: opts.initFrom, arch: opts.arch } });
    }
    setModelWeights(model, source.getWeights().map((w) => w.dataSync() as Float32Array));
  } finally {
    source.dispose();
  }
}

async function bestModel(runDir: string, fallback: tf.LayersModel): Promise<tf.LayersModel> {
  const dir = bestModelDir(runDir);
  return dir ? loadModelDir(dir) : fallback;
}
