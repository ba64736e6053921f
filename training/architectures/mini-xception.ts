import * as tf from '@tensorflow/tfjs';
import type { ArchitectureOptions } from './architecture-options.ts';

/**
 * mini-Xception (Arriaga, Valdenegro-Toro & Plöger 2017, "Real-time Convolutional Neural
 * Networks for Emotion and Gender Classification"; ~66% on FER2013 with ~60k parameters),
 * layer for layer as in the authors' Keras code (oarriaga/face_classification, cnn.py):
 *
 * - base: two 3x3 'valid' convs with 8 filters, each + BatchNorm + ReLU;
 * - four residual modules (16, 32, 64, 128 filters): two 3x3 separable convs (BN + ReLU after
 *   the first, BN after the second), 3x3 stride-2 'same' max-pooling, added to a shortcut of a
 *   1x1 stride-2 conv + BN;
 * - head: a 3x3 conv to `classes` channels (with bias), global average pooling, softmax.
 *
 * No dense layer: 58,423 parameters (56,951 trainable) whatever the input size. The paper's
 * l2(0.01) kernel regularisers are left out: Replica computes the loss itself and would ignore
 * them. The pooling follows BatchNorm directly, so its gradient must not come from tfjs 4.22
 * wasm's MaxPoolGrad (see ../engine/wasm-gradients.ts); the separable convs need the depthwise
 * backprop kernels of ../engine/wasm-depthwise-gradients.ts on wasm.
 */
export function miniXception({ inputSize, classes }: ArchitectureOptions): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 1] });
  const bn = (x: tf.SymbolicTensor) => tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  const conv = (x: tf.SymbolicTensor, filters: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, useBias: false }).apply(x) as tf.SymbolicTensor;
  const sepConv = (x: tf.SymbolicTensor, filters: number) =>
    tf.layers.separableConv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;

  let x = relu(bn(conv(input, 8)));
  x = relu(bn(conv(x, 8)));
  for (const filters of [16, 32, 64, 128]) {
    const shortcut = bn(tf.layers.conv2d({ filters, kernelSize: 1, strides: 2, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor);
    let y = relu(bn(sepConv(x, filters)));
    y = bn(sepConv(y, filters));
    y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(y) as tf.SymbolicTensor;
    x = tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor;
  }
  x = tf.layers.conv2d({ filters: classes, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.softmax().apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'mini_xception' });
}
