import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { EmotionStreamError } from '../common/errors.ts';
import { formatIssues } from '../config/load.ts';
import { ARCHITECTURES } from './architectures/architecture.ts';
import { AUGMENTATION_PRESETS } from './engine/batch-builder.ts';
import { TTA_MODES } from '../config/schema.ts';
import { defaultTrainOptions, type TrainOptions } from './train-options.ts';

/** A retraining request as queued on the bus (`emotion-stream train --queue`); paths as the trainer sees them. */
export const trainJobSchema = z.strictObject({
  data: z.string().min(1).describe('training data (any dataset form)'),
  val: z.string().optional(),
  arch: z.enum(Object.keys(ARCHITECTURES) as [string, ...string[]]).optional(),
  epochs: z.number().int().min(1).max(1000).optional(),
  batchSize: z.number().int().min(1).max(4096).optional(),
  learningRate: z.number().positive().optional(),
  minLearningRate: z.number().positive().optional(),
  /** Stochastic weight averaging from this epoch on (see TrainOptions.swaStart). */
  swaStart: z.number().int().min(1).optional(),
  augment: z.enum(AUGMENTATION_PRESETS).optional(),
  classWeights: z.enum(['none', 'balanced', 'sqrt']).optional(),
  initFrom: z.string().optional(),
  /** Knowledge distillation from this teacher model (see TrainOptions.distill). */
  distill: z.strictObject({
    from: z.string().min(1),
    tta: z.enum(TTA_MODES).default('shift'),
    weight: z.number().min(0).max(1).default(0.5),
  }).optional(),
  limit: z.number().int().min(1).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  /** Model family folder the new version is written into (default: the classifiers' family). */
  family: z.string().optional(),
  /** Make the new version the one classifiers load, and tell them. */
  promote: z.boolean().default(false),
});
export type TrainJob = z.infer<typeof trainJobSchema>;

/** Notice on the models topic: classifiers of `family` reload when `promoted` is true. */
export interface ModelNotice {
  family: string;
  version: string;
  dir: string;
  promoted: boolean;
  accuracy?: number;
}

/** Validates a queued request (a malformed one is the caller's bug: never retried). */
export function parseTrainJob(data: unknown): TrainJob {
  const parsed = trainJobSchema.safeParse(data);
  if (!parsed.success) throw new EmotionStreamError('ERR_USAGE', `invalid training job: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * The run a job becomes. The run directory is named after the job, so a job redelivered after
 * its trainer died resumes from that run's last checkpoint instead of starting over.
 */
export function trainOptionsFor(job: TrainJob, jobId: string, runsDir: string): TrainOptions {
  const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(p));
  const base = defaultTrainOptions({ data: abs(job.data)!, arch: job.arch });
  return {
    ...base,
    valData: abs(job.val),
    epochs: job.epochs ?? base.epochs,
    batchSize: job.batchSize ?? base.batchSize,
    learningRate: job.learningRate ?? base.learningRate,
    minLearningRate: job.minLearningRate ?? base.minLearningRate,
    swaStart: job.swaStart,
    augment: job.augment ?? base.augment,
    classWeights: job.classWeights ?? base.classWeights,
    initFrom: abs(job.initFrom),
    distill: job.distill ? { ...job.distill, from: abs(job.distill.from)! } : undefined,
    limit: job.limit,
    workers: job.workers ?? base.workers,
    runDir: join(runsDir, jobId.replace(/[^A-Za-z0-9_.-]/g, '_')),
  };
}
