import type { Emotion } from '../../pipeline/messages.ts';

/**
 * A decoded face dataset held in memory: every loader (Kaggle folders, FER+, fer2013.csv,
 * plain image folders) produces this one shape, and the cache stores it.
 */
export interface FaceDataset {
  /** Human-readable origin, e.g. "kaggle-folders:/data/fer2013/test". */
  name: string;
  /** Side of the square images in pixels (48 for FER2013). */
  size: number;
  count: number;
  /** Class names in target order (the 7 EMOTIONS). */
  classes: readonly Emotion[];
  /** count * size * size grayscale bytes, row-major, image after image. */
  pixels: Uint8Array;
  /** count * classes.length target probabilities: one-hot for hard labels, vote shares for FER+ distributions. */
  targets: Float32Array;
  /** argmax class index per image, used for accuracy and confusion matrices. */
  labels: Uint8Array;
  /**
   * Where each image came from, used for splits such as PrivateTest: the file relative to the dataset
   * root ("happy/PrivateTest_123.jpg"; FER+: "FER2013Test/fer0032220.png"), or for fer2013.csv
   * "csv:<row>:<Usage>" with the 0-based data row (the number in FER+'s ferNNNNNNN.png names).
   */
  sources: string[];
  /** Images that could not be read, with why: counted and reported, never fatal. */
  skipped: { source: string; reason: string }[];
  /**
   * Inputs read fine but deliberately left out, counted by reason (FER+: "contempt", "unknown",
   * "NF", "no-votes"). Absent when nothing was dropped.
   */
  dropped?: Record<string, number>;
}
