import * as tf from '@tensorflow/tfjs';
import type { ArchitectureOptions } from './architecture-options.ts';

/**
 * VGG-style network sized for CPU training: four stages of two 3x3 conv + BatchNorm + ReLU
 * (32, 64, 128, 256 filters, 'same' padding), 2x2 max-pooling between stages, global average
 * pooling, dropout and a softmax head.
 *
 * Why this shape: BatchNorm after every conv lets Adam train it at a high learning rate (the
 * seed net normalises only after pooling); 'same' padding keeps border pixels (mouth and brow
 * corners sit at the crop's edges); global average pooling replaces the seed's 2,304x512 dense
 * layer, which held most of its parameters and overfitted. The first conv has stride 2: a 48x48
 * face loses little at 24x24 after a learned 3x3 filter, and every later layer costs 4x less,
 * which on the wasm backend is the difference between 28 and 116 training images/s per core
 * (../shared/BENCHMARKS.md). 1.18 M parameters.
 */
export function vggLite({ inputSize, classes }: ArchitectureOptions): tf.LayersModel {
  const model = tf.sequential({ name: 'vgg_lite' });
  const convBnRelu = (filters: number, extra: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}) => {
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: 'heNormal', ...extra }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.reLU());
  };
  convBnRelu(32, { strides: 2, inputShape: [inputSize, inputSize, 1] });
  convBnRelu(32);
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  for (const filters of [64, 128]) {
    convBnRelu(filters);
    convBnRelu(filters);
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  }
  convBnRelu(256);
  convBnRelu(256);
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dropout({ rate: 0.4 }));
  model.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
  return model;
}
