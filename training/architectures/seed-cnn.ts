import * as tf from '@tensorflow/tfjs';
import type { ArchitectureOptions } from './architecture-options.ts';

/**
 * The seed notebook's CNN, layer for layer (Keras defaults: 'valid' padding, glorot-uniform
 * kernels, BatchNormalization momentum 0.99 / epsilon 0.001). 555,623 parameters at 48x48x1.
 */
export function seedCnn({ inputSize, classes }: ArchitectureOptions): tf.LayersModel {
  const model = tf.sequential({ name: 'seed_cnn' });
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [inputSize, inputSize, 1] }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.batchNormalization());
  for (const filters of [64, 128]) {
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, activation: 'relu' }));
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, activation: 'relu' }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tf.layers.batchNormalization());
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 512, activation: 'relu' }));
  model.add(tf.layers.dropout({ rate: 0.5 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
  return model;
}
