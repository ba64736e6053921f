import * as tf from '@tensorflow/tfjs';
import { asPair, convPadding } from './conv-padding.ts';
import { assertNhwc, dilateSpatial, padOrCrop, registerBackpropKernel, type ConvAttrs } from './kernel-helpers.ts';

/**
 * Depthwise convolution backprop kernels for backends that lack them (tfjs 4.22's wasm backend
 * has neither DepthwiseConv2dNativeBackpropFilter nor ...BackpropInput), built from the forward
 * depthwise conv the backend runs natively. Used by tf.depthwiseConv2d, tf.separableConv2d and
 * tfjs-layers' depthwiseConv2d / separableConv2d layers. Any channel multiplier M is supported
 * (M > 1 costs an extra broadcast and reduction); forward dilations must be 1, as tfjs-core's
 * own gradient already requires. Checked against the cpu backend in test/training/engine.
 *
 * Shapes: x [B, H, W, C], filter [KH, KW, C, M], dy [B, OH, OW, C*M] (output channel c*M+m).
 */

function assertSupported(attrs: ConvAttrs, kernel: string): void {
  assertNhwc(attrs, kernel);
  const [dh, dw] = asPair(attrs.dilations ?? 1);
  if (dh !== 1 || dw !== 1) throw new Error(`${kernel}: dilations other than 1 are not supported (got ${dh}x${dw})`);
}

/**
 * dW[kh,kw,c,m] = sum_{b,oh,ow} xpad[b, oh*s+kh, ow*s+kw, c] * dy[b, oh, ow, c*M+m]: one
 * depthwise conv of xpad laid out as [1, Hp, Wp, B*C*M] with dy laid out as the filter
 * [OH, OW, B*C*M, 1], dilation = the forward strides, then a sum over B.
 */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filterShape;
    const strides = asPair(attrs.strides);
    const p = convPadding(attrs.pad, [x.shape[1], x.shape[2]], [kh, kw], { strides });
    const [b, oh, ow] = dy.shape;
    let xPad: tf.Tensor4D = tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
    const [hp, wp] = [xPad.shape[1], xPad.shape[2]];
    if (m > 1) {
      // Repeat every input channel M times (channel c*M+m), by broadcasting (wasm's Tile is slow).
      xPad = tf.reshape(tf.mul(tf.reshape(xPad, [b, hp, wp, c, 1]), tf.ones([1, 1, 1, 1, m])), [b, hp, wp, c * m]);
    }
    const xT = tf.reshape(tf.transpose(xPad, [1, 2, 0, 3]), [1, hp, wp, b * c * m]) as tf.Tensor4D;
    const dyT = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [oh, ow, b * c * m, 1]) as tf.Tensor4D;
    const full = tf.depthwiseConv2d(xT, dyT, 1, 'valid', 'NHWC', strides); // [1, >=KH, >=KW, B*C*M]
    const cut = tf.slice(full, [0, 0, 0, 0], [1, kh, kw, -1]);
    return tf.reshape(tf.sum(tf.reshape(cut, [kh, kw, b, c * m]), 2), [kh, kw, c, m]) as tf.Tensor4D;
  });
}

/**
 * dx = the 'full' correlation of dy (zeros inserted between rows/columns for strided convs)
 * with the spatially flipped filter: a stride-1 depthwise conv over C*M channels, then a sum
 * over the multiplier M.
 */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    const [b, h, w] = inputShape;
    const strides = asPair(attrs.strides);
    const p = convPadding(attrs.pad, [h, w], [kh, kw], { strides });
    const g = dilateSpatial(dy, strides);
    const [top, left] = [kh - 1 - p.top, kw - 1 - p.left];
    const padded = padOrCrop(g, [top, h + kh - 1 - top - g.shape[1]], [left, w + kw - 1 - left - g.shape[2]]);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
    const dxm = tf.depthwiseConv2d(padded, flipped, 1, 'valid'); // [B, H, W, C*M]
    return m === 1 ? dxm : (tf.sum(tf.reshape(dxm, [b, h, w, c, m]), 4) as tf.Tensor4D);
  });
}

/** Registers both depthwise backprop kernels on `backendName` unless it already has them. */
export function registerDepthwiseKernels(backendName: string): void {
  if (!tf.getKernel('DepthwiseConv2dNativeBackpropFilter', backendName)) {
    registerBackpropKernel<ConvAttrs & { filterShape: number[] }>(backendName, {
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      check: assertSupported,
      compute: ({ x, dy }, a) => depthwiseFilterGrad(x, dy, a.filterShape, a),
    });
  }
  if (!tf.getKernel('DepthwiseConv2dNativeBackpropInput', backendName)) {
    registerBackpropKernel<ConvAttrs & { inputShape: number[] }>(backendName, {
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      check: assertSupported,
      compute: ({ dy, filter }, a) => depthwiseInputGrad(dy, filter, a.inputShape, a),
    });
  }
}
