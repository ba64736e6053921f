import type { EpochRecord, EvaluationMetrics } from '../../pipeline/models/evaluation-result.ts';

/** The metrics of one model on one named evaluation set ("PrivateTest", "FER2013 test with flip TTA", ...). */
export interface ReportEvaluation {
  name: string;
  metrics: EvaluationMetrics;
}

/**
 * Everything a training (or evaluation-only) run reports. Written verbatim as report.json, so every
 * field is plain JSON: dates are ISO-8601 strings and non-finite numbers become null there.
 */
export interface TrainingReport {
  model: {
    name: string;
    version: string;
    /** Architecture id, e.g. "seed-cnn", "vgg-lite" or "mini-xception". */
    architecture: string;
    /** Trainable parameter count. */
    parameters: number;
  };
  training: {
    /** Dataset name or path the model was trained on. */
    dataset: string;
    /** tfjs backend, e.g. "tensorflow", "wasm", "cpu". */
    backend: string;
    /** Data-parallel worker threads (1 when training ran in one thread). */
    workers: number;
    epochs: number;
    durationSeconds: number;
    /** Mean training throughput over the run, images per second. */
    imagesPerSec: number;
    /** Augmentation settings as configured (rotation, shifts, flip, ...). */
    augmentation: Record<string, unknown>;
    /** Optimizer settings as configured (name, learning rate, schedule, ...). */
    optimizer: Record<string, unknown>;
    /** ISO-8601 timestamps. */
    startedAt: string;
    finishedAt: string;
  };
  /** One record per epoch, in order; empty when the model was only evaluated. */
  history: EpochRecord[];
  evaluations: ReportEvaluation[];
  notes?: string[];
}
