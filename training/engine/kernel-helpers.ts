import * as tf from '@tensorflow/tfjs';
import type { PadAttr } from './conv-padding.ts';

/** Attributes shared by the convolution kernels and their backprop kernels. */
export type ConvAttrs = {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dilations?: number | [number, number];
};

export function assertNhwc(attrs: ConvAttrs, kernel: string): void {
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC' && attrs.dataFormat !== 'channelsLast') {
    throw new Error(`${kernel}: only NHWC is supported on wasm, got ${attrs.dataFormat}`);
  }
}

type RefCounting = { incRef(dataId: object): void };

/** A backprop kernel built from forward ops: its attribute check and its computation. */
export interface BackpropKernel<A extends ConvAttrs> {
  kernelName: string;
  /** Throws for attributes this implementation does not handle (named after the kernel). */
  check: (attrs: A, kernelName: string) => void;
  compute: (inputs: Record<string, tf.Tensor4D>, attrs: A) => tf.Tensor;
  /**
   * Runs before `compute`: the backend's own kernel for the cases it handles better (its
   * result), or null to compute here.
   */
  delegate?: (args: Parameters<tf.KernelFunc>[0], attrs: A) => tf.TensorInfo | null;
}

/**
 * Registers `kernel` on `backendName`, replacing a kernel of the same name already there (the
 * caller decides whether to replace: e.g. only when its own kernel is missing).
 */
export function registerBackpropKernel<A extends ConvAttrs>(backendName: string, kernel: BackpropKernel<A>): void {
  if (tf.getKernel(kernel.kernelName, backendName)) tf.unregisterKernel(kernel.kernelName, backendName);
  tf.registerKernel({
    kernelName: kernel.kernelName,
    backendName,
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as A;
      kernel.check(attrs, kernel.kernelName);
      const delegated = kernel.delegate?.(args, attrs);
      if (delegated) return delegated;
      return asKernelOutput(args.backend, () => kernel.compute(args.inputs as unknown as Record<string, tf.Tensor4D>, attrs));
    },
  });
}

/**
 * Runs `build` inside a kernel and hands its result to the engine as the kernel's output:
 * the data gets one more reference before our Tensor object is disposed, so the engine's
 * output tensor owns the data alone and nothing leaks.
 */
export function asKernelOutput(backend: unknown, build: () => tf.Tensor): tf.TensorInfo {
  const out = build();
  (backend as RefCounting).incRef(out.dataId);
  const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  out.dispose();
  return info;
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor;
 * padding uses `value`.
 */
export function padOrCrop(t: tf.Tensor4D, [top, bottom]: [number, number], [left, right]: [number, number], value = 0): tf.Tensor4D {
  const grow = [top, bottom, left, right].map((v) => Math.max(v, 0));
  const padded = grow.some((v) => v > 0) ? tf.pad(t, [[0, 0], [grow[0], grow[1]], [grow[2], grow[3]], [0, 0]], value) : t;
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return padded;
  const [b, h, w, c] = padded.shape;
  const [t0, l0] = [Math.max(-top, 0), Math.max(-left, 0)];
  return tf.slice(padded, [0, t0, l0, 0], [b, h - t0 - Math.max(-bottom, 0), w - l0 - Math.max(-right, 0), c]);
}

/** Inserts stride-1 zeros after every row and column of an NHWC tensor: [B, H*sh, W*sw, C]. */
export function dilateSpatial(t: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [b, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(spread, [b, h * sh, w * sw, c]);
}

/**
 * Phase (ph, pw) of a stride-(sh, sw) subsampling, t[:, ph::sh, pw::sw, :], for t of
 * [B, sh*H, sw*W, C]: reshapes and contiguous slices (wasm's StridedSlice is ~10x slower).
 */
export function spatialPhase(t: tf.Tensor4D, [sh, sw]: [number, number], [ph, pw]: [number, number]): tf.Tensor4D {
  const [b, hs, ws, c] = t.shape;
  const [h, w] = [hs / sh, ws / sw];
  let r = t;
  if (sh > 1) r = tf.reshape(tf.slice(tf.reshape(r, [b, h, sh, ws * c]), [0, 0, ph, 0], [b, h, 1, ws * c]), [b, h, ws, c]) as tf.Tensor4D;
  if (sw > 1) r = tf.reshape(tf.slice(tf.reshape(r, [b * h, w, sw, c]), [0, 0, pw, 0], [b * h, w, 1, c]), [b, h, w, c]) as tf.Tensor4D;
  return r;
}

/** Inverse of spatialPhase: interleaves phases[ph][pw] (each [B, H, W, C]) into [B, sh*H, sw*W, C]. */
export function interleavePhases(phases: tf.Tensor4D[][]): tf.Tensor4D {
  const [b, h, w, c] = phases[0][0].shape;
  const [sh, sw] = [phases.length, phases[0].length];
  const rows = phases.map((row) => (sw === 1 ? row[0] : (tf.reshape(tf.stack(row, 3), [b, h, w * sw, c]) as tf.Tensor4D)));
  return sh === 1 ? rows[0] : (tf.reshape(tf.stack(rows, 2), [b, h * sh, w * sw, c]) as tf.Tensor4D);
}
