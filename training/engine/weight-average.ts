/**
 * Running mean of weight snapshots, for stochastic weight averaging (SWA, Izmailov et al. 2018):
 * the mean of the weights a run passes through at a steady learning rate lies nearer the middle
 * of the flat region those weights wander around than any one of them, and generalises better.
 * Kept as the mean itself (not a sum), so it can be checkpointed and resumed as is.
 */
export class WeightAverage {
  private mean: Float32Array[] | null;
  private n: number;

  constructor(saved?: { count: number; weights: Float32Array[] }) {
    this.n = saved?.count ?? 0;
    this.mean = saved ? saved.weights.map((w) => Float32Array.from(w)) : null;
  }

  get count(): number {
    return this.n;
  }

  /** Adds one snapshot (same tensors in the same order every time). */
  add(weights: Float32Array[]): void {
    if (!this.mean) {
      this.mean = weights.map((w) => Float32Array.from(w));
      this.n = 1;
      return;
    }
    if (weights.length !== this.mean.length || weights.some((w, i) => w.length !== this.mean![i].length)) {
      throw new Error(`weight snapshot does not match the average's shapes (${weights.length} tensors, average has ${this.mean.length})`);
    }
    this.n += 1;
    const k = 1 / this.n;
    this.mean.forEach((m, i) => {
      const w = weights[i];
      for (let j = 0; j < m.length; j++) m[j] += (w[j] - m[j]) * k;
    });
  }

  /** The mean so far (copies), or null before the first snapshot. */
  weights(): Float32Array[] | null {
    return this.mean ? this.mean.map((m) => Float32Array.from(m)) : null;
  }
}
