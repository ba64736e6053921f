import * as tf from '@tensorflow/tfjs';
import type { ArchitectureOptions } from './architecture-options.ts';

/**
 * A minimal CNN for smoke tests and engine checks, not for accuracy: one 3x3 stride-2 conv
 * (8 filters, ReLU), 2x2 max-pooling and a softmax layer (about 8 k parameters at 48x48).
 * No BatchNorm and no dropout, so a batch's gradient is the size-weighted mean of its shards'
 * gradients exactly: the data-parallel engine can be checked against a single worker with it.
 */
export function tinyCnn({ inputSize, classes }: ArchitectureOptions): tf.LayersModel {
  const model = tf.sequential({ name: 'tiny_cnn' });
  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [inputSize, inputSize, 1] }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
  return model;
}
