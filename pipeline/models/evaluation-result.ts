import type { Emotion } from '../messages.ts';

/** Per-class scores on one evaluation set. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of images whose true label is this class. */
  support: number;
}

/** Metrics of one model on one labelled set (fractions 0..1, not percentages). */
export interface EvaluationMetrics {
  count: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<Emotion, ClassMetrics>;
  /** confusion[true][predicted] counts, rows and columns in EMOTIONS order. */
  confusion: number[][];
}

/** One training epoch's record, as plotted in the report's curves. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** Runs with stochastic weight averaging, from its first epoch: the averaged model's validation figures. */
  swaValLoss?: number;
  swaValAccuracy?: number;
  learningRate: number;
  seconds: number;
  imagesPerSec: number;
}
