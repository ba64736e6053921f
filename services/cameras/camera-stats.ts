/**
 * Rolling figures of one camera: frames in and out per second over the last `windowMs`, and
 * capture-to-event latency percentiles over the last `latencySamples` frames. Bounded memory.
 */
export class CameraStats {
  private readonly inputTimes: number[] = [];
  private readonly processedTimes: number[] = [];
  private readonly latencies: number[] = [];
  frames = 0;
  dropped = 0;

  constructor(private readonly windowMs = 10_000, private readonly latencySamples = 1000, private readonly now: () => number = Date.now) {}

  input(): void {
    this.push(this.inputTimes, this.now());
  }

  processed(capturedAt: number): void {
    const t = this.now();
    this.frames += 1;
    this.push(this.processedTimes, t);
    this.latencies.push(Math.max(0, t - capturedAt));
    if (this.latencies.length > this.latencySamples) this.latencies.shift();
  }

  get inputFps(): number {
    return this.rate(this.inputTimes);
  }

  get processedFps(): number {
    return this.rate(this.processedTimes);
  }

  /** Nearest-rank percentiles of the recent latencies (ms), or null before the first frame. */
  latency(): { p50: number; p95: number; p99: number; count: number } | null {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: sorted.length };
  }

  private push(times: number[], t: number): void {
    times.push(t);
    while (times.length > 0 && times[0] < t - this.windowMs) times.shift();
  }

  private rate(times: number[]): number {
    const t = this.now();
    while (times.length > 0 && times[0] < t - this.windowMs) times.shift();
    if (times.length === 0) return 0;
    // Over the window, or since the first frame when younger (at least 1 s: no spikes at start).
    const span = Math.min(this.windowMs, Math.max(t - times[0], 1000));
    return Math.round((times.length / span) * 1000 * 100) / 100;
  }
}
