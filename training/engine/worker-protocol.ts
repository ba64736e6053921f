import type { AugmentParams } from './batch-builder.ts';

/** Messages between the training coordinator (main thread) and its data-parallel workers. */

export interface WorkerInit {
  arch: string;
  inputSize: number;
  classes: number;
  learningRate: number;
  backend: string;
  /** Shared, read-only dataset: count*size*size bytes and count*classes targets. */
  pixels: SharedArrayBuffer;
  targets: SharedArrayBuffer;
  /** Per-class loss weights (length = classes), or null. */
  classWeights: number[] | null;
  /** This worker's gradient slot in the shared gradient buffer (floats). */
  grads: SharedArrayBuffer;
  /** The averaged gradient every worker applies. */
  averaged: SharedArrayBuffer;
  augment: AugmentParams | null;
  workerIndex: number;
}

export type ToWorker =
  | { type: 'set-weights'; weights: Float32Array[]; optimizer: { name: string; shape: number[]; data: Float32Array }[] | null }
  | { type: 'step'; applyAveraged: boolean; learningRate: number; indices: Int32Array; seed: number }
  | { type: 'apply'; learningRate: number }
  | { type: 'get-state' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; gradSize: number }
  | { type: 'step-done'; lossSum: number; correct: number; count: number }
  | { type: 'applied' }
  | { type: 'weights-set' }
  | { type: 'state'; weights: Float32Array[]; optimizer: { name: string; shape: number[]; data: Float32Array }[] }
  | { type: 'error'; message: string; stack?: string };
