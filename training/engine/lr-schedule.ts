/**
 * Learning-rate schedule: linear warm-up, then cosine decay to `minLr` at the last epoch.
 * Evaluated per step so the rate moves smoothly within an epoch. Cosine decay to a known end
 * suits a fixed training budget on CPU better than waiting for plateaus; the plateau signal is
 * still used for early stopping.
 */
export interface LrSchedule {
  baseLr: number;
  minLr: number;
  warmupEpochs: number;
  epochs: number;
}

/** Learning rate at fractional epoch `t` (0 = start, epochs = end). */
export function learningRateAt(s: LrSchedule, t: number): number {
  if (t < s.warmupEpochs) return s.baseLr * Math.max(0.05, t / s.warmupEpochs);
  const span = Math.max(1e-9, s.epochs - s.warmupEpochs);
  const progress = Math.min(1, (t - s.warmupEpochs) / span);
  return s.minLr + 0.5 * (s.baseLr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
