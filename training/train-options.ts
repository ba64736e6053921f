import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice } from '../config/schema.ts';
import type { AugmentationPreset } from './engine/batch-builder.ts';

import type { DistillOptions } from './distill-targets.ts';

/** Everything a training run is configured by. Stored in the run's checkpoint for --resume. */
export interface TrainOptions {
  /** Training data: any dataset form loadDataset accepts. */
  data: string;
  /** Validation data (default: the PublicTest half of `<data>/../test` when it exists). */
  valData?: string;
  target: 'majority' | 'distribution';
  arch: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  minLearningRate: number;
  warmupEpochs: number;
  workers: number;
  /** Augmentation preset (older checkpoints stored a boolean: true = notebook). */
  augment: AugmentationPreset | boolean;
  /** Warm start: a model directory whose weights (same architecture) the run starts from. */
  initFrom?: string;
  classWeights: 'none' | 'balanced' | 'sqrt';
  /**
   * Stochastic weight averaging: from this epoch (1-based) on, each epoch's end weights join a running
   * mean; the mean (BatchNorm statistics recomputed) is validated every epoch and exported when it is
   * the best model. Pair it with a steady learning rate (--min-lr equal to --lr). Off when absent.
   */
  swaStart?: number;
  /**
   * Knowledge distillation (distill-targets.ts): training targets mix the labels with this teacher's
   * probabilities, seen in its test-time augmentation views. Off when absent.
   */
  distill?: DistillOptions;
  /** Stop when validation accuracy has not improved for this many epochs. */
  patience: number;
  seed: number;
  runDir: string;
  backend: BackendChoice;
  /** Use only the first N training images (quick runs, tests). */
  limit?: number;
}

export function defaultTrainOptions(overrides: Partial<TrainOptions> & { data: string }): TrainOptions {
  const arch = overrides.arch ?? 'vgg-lite';
  return {
    target: 'majority',
    arch,
    epochs: 40,
    batchSize: 64,
    learningRate: 2e-3,
    minLearningRate: 2e-5,
    warmupEpochs: 1,
    workers: Math.max(1, Math.min(availableParallelism(), 8)),
    augment: 'notebook',
    classWeights: 'none',
    patience: 10,
    seed: 1,
    runDir: join('runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${arch}`),
    backend: 'auto',
    ...overrides,
  };
}
