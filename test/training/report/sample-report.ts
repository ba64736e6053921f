import { EMOTIONS } from '../../../pipeline/messages.ts';
import type { EpochRecord } from '../../../pipeline/models/evaluation-result.ts';
import { computeMetrics } from '../../../training/metrics/classification-metrics.ts';
import type { TrainingReport } from '../../../training/report/training-report-types.ts';

/** A deterministic, plausible training history: accuracy rising to a plateau around 55% (as in the notebook). */
export function sampleHistory(epochs: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const accuracy = 0.25 + 0.32 * (1 - Math.exp(-i / 7)) + 0.01 * Math.sin(i);
    const valAccuracy = 0.27 + 0.28 * (1 - Math.exp(-i / 6)) + 0.015 * Math.cos(i * 1.3);
    return {
      epoch: i + 1,
      loss: 2.2 - 1.9 * accuracy,
      accuracy,
      valLoss: 2.1 - 1.8 * valAccuracy + 0.004 * i,
      valAccuracy,
      learningRate: 1e-3 * 0.95 ** i,
      seconds: 41 + (i % 3),
      imagesPerSec: 700 + 5 * (i % 4),
    };
  });
}

/** Labels and predictions with a fixed, uneven confusion pattern over the seven EMOTIONS. */
export function sampleMetrics(count: number, seed = 1): ReturnType<typeof computeMetrics> {
  const labels = new Uint8Array(count);
  const predicted = new Uint8Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    labels[i] = (s >> 8) % 7;
    // About 55% right, the rest spread over the other classes (disgust is never predicted).
    const wrong = ((s >> 16) % 6) + 1;
    const guess = (s >> 4) % 100 < 55 ? labels[i] : (labels[i] + wrong) % 7;
    predicted[i] = guess === 1 ? 4 : guess;
  }
  return computeMetrics(labels, predicted, EMOTIONS);
}

/** A full report: `epochs` of history and the three evaluation sets a FER2013 run reports. */
export function sampleReport(epochs = 30, overrides: Partial<TrainingReport> = {}): TrainingReport {
  return {
    model: { name: 'seed-cnn', version: '1.0.0', architecture: 'seed-cnn', parameters: 2_345_671 },
    training: {
      dataset: 'fer2013 (kaggle folders)',
      backend: 'wasm',
      workers: 2,
      epochs,
      durationSeconds: 1234.5,
      imagesPerSec: 712.4,
      augmentation: { rotationDeg: 30, shift: 0.2, zoom: 0.2, horizontalFlip: true },
      optimizer: { name: 'adam', learningRate: 0.001 },
      startedAt: '2025-01-01T10:00:00.000Z',
      finishedAt: '2025-01-01T10:20:34.500Z',
    },
    history: sampleHistory(epochs),
    evaluations: [
      { name: 'FER2013 test', metrics: sampleMetrics(7178) },
      { name: 'FER2013 test with flip TTA', metrics: sampleMetrics(7178, 7) },
      { name: 'PrivateTest', metrics: sampleMetrics(3589, 3) },
    ],
    notes: ['Accuracy plateaus around epoch 30, as in the notebook.'],
    ...overrides,
  };
}
