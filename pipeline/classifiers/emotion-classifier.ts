import type { EmotionScores } from '../messages.ts';

/**
 * What the classify stage needs from a model: a batch of preprocessed face crops in, one score
 * vector per face out. Implementations: tfjs layers models today; ONNX via OpenCV DNN later.
 */
export interface EmotionClassifier {
  /** Identifies the model in events, e.g. "emotion@2026-11-26". */
  readonly version: string;
  /** Side of the square gray crop the model takes (48 for FER2013 models). */
  readonly inputSize: number;
  /** Scores for `count` crops laid out as count * inputSize * inputSize floats in 0..1. */
  classify(crops: Float32Array, count: number): EmotionScores[];
  dispose(): void;
}
