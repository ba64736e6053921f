/**
 * Explicit per-side padding of a 2-D convolution, computed exactly as TensorFlow does, so the
 * backprop kernels built from plain conv2d reproduce the forward op's geometry (including the
 * asymmetric 'same' padding of strided convolutions).
 */
export interface Padding2D {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export type PadAttr = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

function samePadding(inSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Padding for an NHWC conv with input [H, W], kernel [KH, KW], strides and dilations. */
export function convPadding(
  pad: PadAttr,
  input: [number, number],
  kernel: [number, number],
  geometry: { strides: [number, number]; dilations?: [number, number] },
): Padding2D {
  const [dh, dw] = geometry.dilations ?? [1, 1];
  if (pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (pad === 'same') {
    const [top, bottom] = samePadding(input[0], kernel[0], geometry.strides[0], dh);
    const [left, right] = samePadding(input[1], kernel[1], geometry.strides[1], dw);
    return { top, bottom, left, right };
  }
  if (typeof pad === 'number') return { top: pad, bottom: pad, left: pad, right: pad };
  return { top: pad[1][0], bottom: pad[1][1], left: pad[2][0], right: pad[2][1] };
}

export function asPair(v: number | [number, number] | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
