import type { Emotion } from '../messages.ts';
import type { EvaluationMetrics } from './evaluation-result.ts';

/**
 * metadata.json of a model directory: what the classifier checks at load time (classes, input
 * geometry, preprocessing) and what users read (training data, test metrics).
 */
export interface ModelMetadata {
  name: string;
  version: string;
  architecture: string;
  parameters: number;
  classes: Emotion[];
  input: { size: number; channels: 1; preprocessing: string };
  training: {
    data: string;
    validation: string;
    epochs: number;
    bestEpoch: number | null;
    backend: string;
    workers: number;
    durationSeconds: number;
    imagesPerSec: number;
    augmentation: Record<string, unknown> | null;
    optimizer: Record<string, unknown>;
    /** Fine-tuned runs: the model the run started from, and that model's own training. */
    initializedFrom?: { version: string; architecture: string; epochs: number; durationSeconds: number };
    /** Runs with stochastic weight averaging: from which epoch, and whether the exported model is the average. */
    swa?: { startEpoch: number; exported: 'average' | 'epoch' };
    /** Knowledge distillation: the teacher, how it saw the images, its share of the targets. */
    distilledFrom?: { version: string; tta: string; weight: number };
  };
  /** Test metrics by set name (e.g. "FER2013 test (7178)", "PrivateTest", "PublicTest", "FER2013 test with flip TTA", "... with shift TTA"). */
  metrics: Record<string, Omit<EvaluationMetrics, 'confusion' | 'perClass'> & { perClassRecall: Partial<Record<Emotion, number>> }>;
  createdAt: string;
}

export const PREPROCESSING = 'BGR->gray, crop face box, resize to 48x48 (bilinear), divide by 255';
