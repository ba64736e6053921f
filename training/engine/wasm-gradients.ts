import * as tf from '@tensorflow/tfjs';
import { asPair, convPadding, type PadAttr } from './conv-padding.ts';
import { assertNhwc, interleavePhases, padOrCrop, registerBackpropKernel, spatialPhase, type ConvAttrs } from './kernel-helpers.ts';
import { registerDepthwiseKernels } from './wasm-depthwise-gradients.ts';

/**
 * Gradients the tfjs wasm backend lacks (or computes slowly), supplied through tfjs's public
 * registerKernel / registerGradient API. Each is built from forward ops the wasm backend runs
 * fast (conv2d with dilation on transposed tensors, broadcasting arithmetic), and each is
 * checked against the cpu backend's stock gradients in test/training/engine.
 *
 * The math is in ../shared/BENCHMARKS.md: the filter gradient is a conv of the input with the
 * output gradient as the filter (dilation = forward stride); the stride-1 input gradient is a
 * conv of dy with the flipped, channel-swapped filter.
 */

/** dW[kh,kw,ci,co] = sum_{b,oh,ow} xpad[b, oh*s+kh, ow*s+kw, ci] * dy[b,oh,ow,co]. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = [filterShape[0], filterShape[1]];
    const strides = asPair(attrs.strides);
    const p = convPadding(attrs.pad, [x.shape[1], x.shape[2]], [kh, kw], { strides });
    const xPad = tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
    const xT = tf.transpose(xPad, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, Hp, Wp, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, B, Cout]
    const full = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', strides); // [Cin, >=KH, >=KW, Cout]
    const cut = tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(cut, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Input gradient of a stride-1 conv: a 'full' correlation of dy with the flipped filter. */
export function conv2dInputGradStride1(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = [filter.shape[0], filter.shape[1]];
    const p = convPadding(attrs.pad, [inputShape[1], inputShape[2]], [kh, kw], { strides: [1, 1] });
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const padded = tf.pad(dy, [[0, 0], [kh - 1 - p.top, kh - 1 - p.bottom], [kw - 1 - p.left, kw - 1 - p.right], [0, 0]]);
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

function registerConvKernels(backendName: string): void {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return; // already done (or native)
  const original = tf.getKernel('Conv2DBackpropInput', backendName);
  registerBackpropKernel<ConvAttrs & { filterShape: number[] }>(backendName, {
    kernelName: 'Conv2DBackpropFilter',
    check: assertNhwc,
    compute: ({ x, dy }, a) => conv2dFilterGrad(x, dy, a.filterShape, a),
  });
  registerBackpropKernel<ConvAttrs & { inputShape: number[] }>(backendName, {
    kernelName: 'Conv2DBackpropInput',
    check: assertNhwc,
    // wasm's own kernel is ~10x slower at stride 1; keep it for strided convs.
    delegate: (args, a) => {
      const strides = asPair(a.strides);
      if (strides[0] === 1 && strides[1] === 1) return null;
      if (!original) throw new Error('Conv2DBackpropInput: strided input gradient unavailable on this backend');
      return original.kernelFunc(args) as tf.TensorInfo;
    },
    compute: ({ dy, filter }, a) => conv2dInputGradStride1(dy, filter, a.inputShape, a),
  });
}

/** Sum over every axis but the last (the channel axis), reshaped like `like`. */
function channelSum(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
  const axes = [...Array(t.rank - 1).keys()];
  return tf.reshape(tf.sum(t, axes), like.shape);
}

/**
 * FusedBatchNorm: the stock gradient tiles rsqrt(var) to the activation's full shape and
 * wasm's Tile is slow; broadcasting plus per-channel reductions is far cheaper.
 */
function registerBatchNormGradient(): void {
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      const eps = (attrs.varianceEpsilon as number) ?? 0.001;
      const s = scale ?? tf.scalar(1);
      const rstd = () => tf.rsqrt(tf.add(variance, eps));
      const grads: Record<string, () => tf.Tensor> = {
        x: () => tf.mul(g, tf.mul(s, rstd())),
        mean: () => channelSum(tf.neg(tf.mul(g, tf.mul(s, rstd()))), mean),
        variance: () => {
          const centered = tf.sub(x, mean);
          const k = tf.mul(s, tf.mul(-0.5, tf.pow(tf.add(variance, eps), -1.5)));
          return channelSum(tf.mul(tf.mul(g, centered), k), variance);
        },
        offset: () => channelSum(g, mean),
      };
      if (scale) grads.scale = () => channelSum(tf.mul(tf.mul(g, tf.sub(x, mean)), rstd()), scale);
      return grads;
    },
  });
}

/**
 * Gradient of 2x2 stride-2 max pooling over an even-sized x [b, 2*oh, 2*ow, c]: dy goes to the
 * first (row-major) element of each window equal to the pooled max, as TensorFlow routes it
 * (flat image areas tie; sending dy to every tied element would multiply it). Built from
 * rank-3 slices, elementwise ops and concats: wasm runs those fast, whereas rank-6
 * broadcasting, split and the backend's MaxPoolGrad cost 10-100x more (or are wrong).
 */
function maxPool2x2Grad(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const [n, ow] = [b * (h / 2), w / 2];
  const rows = tf.reshape(x, [n, 2, ow * 2 * c]);
  const row = (r: number) => tf.reshape(tf.slice(rows, [0, r, 0], [n, 1, ow * 2 * c]), [n, ow, 2 * c]);
  const [top, bottom] = [row(0), row(1)];
  const corner = (t: tf.Tensor, k: number) => tf.slice(t, [0, 0, k * c], [n, ow, c]);
  const ym = tf.reshape(y, [n, ow, c]);
  const g = tf.reshape(dy, [n, ow, c]);
  let free: tf.Tensor = tf.onesLike(ym);
  const grads = [corner(top, 0), corner(top, 1), corner(bottom, 0), corner(bottom, 1)].map((v) => {
    const first = tf.mul(tf.cast(tf.equal(v, ym), 'float32'), free);
    free = tf.sub(free, first);
    return tf.mul(first, g);
  });
  const topRow = tf.reshape(tf.concat([grads[0], grads[1]], 2), [n, 1, ow * 2 * c]);
  const bottomRow = tf.reshape(tf.concat([grads[2], grads[3]], 2), [n, 1, ow * 2 * c]);
  return tf.reshape(tf.concat([topRow, bottomRow], 1), [b, h, w, c]);
}

/**
 * MaxPool gradient for any window, stride and padding, exact like cpu's MaxPoolGrad: each
 * window's first maximal element in row-major order gets dy. The (-Infinity padded) input is
 * split into its stride phases (x[ph::s, pw::s]); for each window offset (kh, kw), a shifted
 * slice of one phase is compared with the pooled output, and the claimed dy is added, shifted
 * back, to that phase of dx, whose phases are interleaved at the end. Contiguous slices, pads
 * and broadcasting only (wasm's StridedSlice costs ~10x a slice). Replaces MaxPoolGrad, which
 * on tfjs 4.22 wasm misroutes windows that hold no positive value (a pooling right after
 * BatchNorm, as in mini-Xception's 3x3 stride-2 'same' pools).
 */
export function maxPoolGradGeneral(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, f: [number, number], st: [number, number], pad: PadAttr): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const [oh, ow] = [y.shape[1], y.shape[2]];
    const [sh, sw] = st;
    const p = convPadding(pad, [h, w], f, { strides: st });
    // Phase sizes: window offset kh = a*sh + ph reads phase ph at rows a .. a+oh-1.
    const [hh, wh] = [oh + Math.floor((f[0] - 1) / sh), ow + Math.floor((f[1] - 1) / sw)];
    const xPad = padOrCrop(x, [p.top, sh * hh - h - p.top], [p.left, sw * wh - w - p.left], -Infinity);
    const grid = <T>(make: (ph: number, pw: number) => T): T[][] =>
      Array.from({ length: sh }, (_, ph) => Array.from({ length: sw }, (_, pw) => make(ph, pw)));
    const xPhases = grid((ph, pw) => (ph < f[0] && pw < f[1] ? spatialPhase(xPad, st, [ph, pw]) : null));
    const parts = grid<tf.Tensor4D[]>(() => []);
    let free: tf.Tensor | null = null; // 1 where the window's max is not yet claimed
    for (let kh = 0; kh < f[0]; kh++) {
      for (let kw = 0; kw < f[1]; kw++) {
        const [a, ph, a2, pw] = [Math.floor(kh / sh), kh % sh, Math.floor(kw / sw), kw % sw];
        const xs = tf.slice(xPhases[ph][pw]!, [0, a, a2, 0], [b, oh, ow, c]);
        const hit = tf.cast(tf.equal(xs, y), 'float32');
        const first: tf.Tensor = free ? tf.mul(hit, free) : hit;
        free = free ? tf.sub(free, first) : tf.sub(1, hit);
        const claimed = tf.mul(first, dy) as tf.Tensor4D;
        parts[ph][pw].push(tf.pad(claimed, [[0, 0], [a, hh - oh - a], [a2, wh - ow - a2], [0, 0]]));
      }
    }
    const dxPhases = grid((ph, pw) => (parts[ph][pw].length ? tf.addN(parts[ph][pw]) : tf.zeros([b, hh, wh, c])) as tf.Tensor4D);
    const dxPad = interleavePhases(dxPhases); // [B, sh*hh, sw*wh, C]
    return padOrCrop(dxPad, [-p.top, p.top + h - sh * hh], [-p.left, p.left + w - sw * wh]);
  });
}

/**
 * MaxPool: 2x2 stride 2 on even sizes (or 'valid' padding) takes the maxPool2x2Grad fast
 * path; every other shape uses
 * maxPoolGradGeneral. Neither uses the backend's MaxPoolGrad (wrong on tfjs 4.22 wasm when a
 * window holds no positive value).
 */
function registerMaxPoolGradient(): void {
  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor4D;
      const [x, y] = saved as tf.Tensor4D[];
      const f = asPair(attrs.filterSize as number | [number, number]);
      const st = asPair(attrs.strides as number | [number, number]);
      const [b, h, w, c] = x.shape;
      const evenOrValid = (h % 2 === 0 && w % 2 === 0) || attrs.pad === 'valid';
      const simple = f[0] === 2 && f[1] === 2 && st[0] === 2 && st[1] === 2 && evenOrValid;
      if (!simple) return { x: () => maxPoolGradGeneral(x, y, g, f, st, attrs.pad as PadAttr) };
      return {
        x: () => {
          // 'valid' pooling ignores a trailing odd row/column: it gets zero gradient.
          const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
          const xe = h % 2 || w % 2 ? tf.slice(x, [0, 0, 0, 0], [b, oh * 2, ow * 2, c]) : x;
          const dx = maxPool2x2Grad(xe as tf.Tensor4D, y, g);
          return h % 2 || w % 2 ? tf.pad(dx, [[0, 0], [0, h - oh * 2], [0, w - ow * 2], [0, 0]]) : dx;
        },
      };
    },
  });
}

let gradientsRegistered = false;

/**
 * Registers the missing convolution backprop kernels (Conv2D and depthwise) on `backendName` and the cheaper
 * BatchNorm / MaxPool gradients (these apply to every backend: they are exact). Idempotent.
 */
export function registerTrainingGradients(backendName = 'wasm'): void {
  registerConvKernels(backendName);
  registerDepthwiseKernels(backendName);
  if (gradientsRegistered) return;
  registerBatchNormGradient();
  registerMaxPoolGradient();
  gradientsRegistered = true;
}
