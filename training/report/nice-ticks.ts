/** Axis ticks on round numbers, and the range they cover. */
export interface NiceTicks {
  /** Lowest tick, at or below the data minimum. */
  min: number;
  /** Highest tick, at or above the data maximum. */
  max: number;
  step: number;
  ticks: number[];
  /** Decimal places that show every tick exactly (0 for a step of 1 or more). */
  decimals: number;
}

/**
 * Tick positions on 1-2-5 multiples of a power of ten covering [lo, hi], about `target` of them,
 * the way plotting libraries choose them. An empty range (lo === hi) is widened around the value so
 * a flat line still gets an axis. With `integer`, steps never go below 1 (epoch axes).
 *
 * @throws RangeError when lo or hi is not finite, or lo > hi
 */
export function niceTicks(lo: number, hi: number, target = 5, integer = false): NiceTicks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new RangeError(`niceTicks: bad range [${lo}, ${hi}]`);
  }
  if (lo === hi) {
    const pad = integer ? 1 : lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, target, integer);
  }
  let step = niceStep((hi - lo) / Math.max(1, target));
  if (integer) step = Math.max(1, step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const round = (v: number): number => Number(v.toFixed(decimals));
  // A tiny tolerance keeps float noise (0.30000000000000004) from adding an extra step.
  const min = round(Math.floor(lo / step + 1e-9) * step);
  const max = round(Math.ceil(hi / step - 1e-9) * step);
  const count = Math.round((max - min) / step);
  const ticks = Array.from({ length: count + 1 }, (_, i) => round(min + i * step));
  return { min, max, step, ticks, decimals };
}

function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const residual = rough / magnitude;
  const factor = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10;
  return factor * magnitude;
}
