import type { BoxPx } from '../messages.ts';

/**
 * Noise settings of a {@link KalmanBoxFilter}, relative to the box's size so that one setting
 * suits near (large) and far (small) faces alike. "Size" is the box's width on the x axis
 * (cx, w) and its height on the y axis (cy, h).
 */
export interface KalmanBoxNoise {
  /** Std of a measured box's centre and size, as a fraction of the box's size (unitless, > 0). */
  measurement: number;
  /** Std of the velocity guessed for a new box (0), in box sizes per second (>= 0). */
  initialVelocity: number;
  /**
   * How fast the velocity may wander (continuous white-noise acceleration): the std of the
   * velocity's change over one second, in box sizes per second (>= 0).
   */
  velocityDrift: number;
}

/** Per-axis (position, velocity) covariance block: [var(p), cov(p, v), var(v)]. */
type Cov2 = [number, number, number];

/** Centre, size: [cx, cy, w, h] in px. */
type Measurement = [number, number, number, number];

const AXES = 4;
const MS_PER_S = 1000;

/**
 * Constant-velocity Kalman filter on a box's centre and size, as in SORT: state
 * [cx, cy, w, h, vcx, vcy, vw, vh], positions in px, velocities in px per ms. Time is
 * presentation time in ms and each step's dt comes from timestamps, so 15 and 30 fps streams
 * follow the same model (process noise is the exact discretisation of a continuous model).
 *
 * Invariants:
 * - `predict` never mutates: it extrapolates the current estimate to the time asked, so it
 *   may be called any number of times, for any times, between updates.
 * - `update` advances the state to its time, then corrects it; a time before the estimate's
 *   own (time going backwards) is treated as dt = 0, and the estimate's time never decreases.
 * - Boxes returned have width and height >= 1 and are floats (the caller rounds); internal
 *   state keeps unclamped floats.
 *
 * F, Q, H and R never couple axes, so the 8x8 covariance is block diagonal with one 2x2
 * (position, velocity) block per axis; only those blocks are stored, which is exact.
 */
export class KalmanBoxFilter {
  static readonly DEFAULT_NOISE: Readonly<KalmanBoxNoise> = Object.freeze({
    measurement: 0.05,
    initialVelocity: 4,
    velocityDrift: 1,
  });

  /** [cx, cy, w, h, vcx, vcy, vw, vh]: px and px/ms. */
  private readonly x: number[];
  private readonly p: Cov2[];
  private readonly noise: KalmanBoxNoise;
  private tMs: number;

  constructor(box: BoxPx, tMs: number, noise: Partial<KalmanBoxNoise> = {}) {
    assertTime(tMs);
    this.noise = { ...KalmanBoxFilter.DEFAULT_NOISE, ...noise };
    assertNoise(this.noise);
    this.x = [...toMeasurement(box), 0, 0, 0, 0];
    this.tMs = tMs;
    this.p = [];
    for (let i = 0; i < AXES; i++) {
      const s = this.scale(i);
      const velStd = (this.noise.initialVelocity * s) / MS_PER_S;
      this.p.push([(this.noise.measurement * s) ** 2, 0, velStd ** 2]);
    }
  }

  /** Time of the current estimate (ms): the latest update's (or the constructor's). */
  get timeMs(): number {
    return this.tMs;
  }

  /** The box expected at tMs (px, floats), extrapolated without changing the filter. */
  predict(tMs: number): BoxPx {
    assertTime(tMs);
    const dt = Math.max(0, tMs - this.tMs);
    const z: Measurement = [0, 0, 0, 0];
    for (let i = 0; i < AXES; i++) z[i] = this.x[i] + this.x[i + AXES] * dt;
    return toBox(z);
  }

  /**
   * The box expected at tMs with its centre extrapolated but its size held at the current
   * estimate: a face shrinking as it slides under another face would, extrapolated, vanish
   * while it is hidden, yet it comes back at its own size.
   */
  predictCentre(tMs: number): BoxPx {
    assertTime(tMs);
    const dt = Math.max(0, tMs - this.tMs);
    return toBox([this.x[0] + this.x[4] * dt, this.x[1] + this.x[5] * dt, this.x[2], this.x[3]]);
  }

  /** Corrects the estimate with a box measured at tMs. */
  update(box: BoxPx, tMs: number): void {
    assertTime(tMs);
    const z = toMeasurement(box);
    this.advance(tMs);
    for (let i = 0; i < AXES; i++) {
      const r = (this.noise.measurement * this.scale(i)) ** 2;
      this.correctAxis(i, z[i], r);
    }
  }

  /** The current estimate (px, floats). */
  box(): BoxPx {
    return toBox([this.x[0], this.x[1], this.x[2], this.x[3]]);
  }

  /** Kalman predict step to tMs, in place: x = F x, P = F P F' + Q. */
  private advance(tMs: number): void {
    const dt = Math.max(0, tMs - this.tMs);
    if (dt === 0) return;
    const dt2 = dt * dt;
    for (let i = 0; i < AXES; i++) {
      // Spectral density (px^2/ms^3) giving a velocity std of velocityDrift sizes/s after 1 s.
      const q = ((this.noise.velocityDrift * this.scale(i)) / MS_PER_S) ** 2 / MS_PER_S;
      const [a, b, c] = this.p[i];
      this.p[i] = [a + 2 * dt * b + dt2 * c + (q * dt2 * dt) / 3, b + dt * c + (q * dt2) / 2, c + q * dt];
      this.x[i] += this.x[i + AXES] * dt;
    }
    this.tMs = tMs;
  }

  /** Kalman update of one axis with measurement z of its position (variance r). */
  private correctAxis(i: number, z: number, r: number): void {
    const [a, b, c] = this.p[i];
    const s = a + r;
    const kp = a / s;
    const kv = b / s;
    const innovation = z - this.x[i];
    this.x[i] += kp * innovation;
    this.x[i + AXES] += kv * innovation;
    // P = (I - K H) P, written out for the 2x2 block (stays symmetric).
    this.p[i] = [a * (1 - kp), b * (1 - kp), c - kv * b];
  }

  /** The box size that scales axis i's noise: width for cx and w, height for cy and h (px, >= 1). */
  private scale(i: number): number {
    return Math.max(1, this.x[i % 2 === 0 ? 2 : 3]);
  }
}

function toMeasurement(box: BoxPx): Measurement {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isFinite) || width <= 0 || height <= 0) {
    throw new RangeError(`box must be finite with a positive size, got ${JSON.stringify(box)}`);
  }
  return [x + width / 2, y + height / 2, width, height];
}

/** Back to a corner box, size clamped to >= 1 about the same centre. */
function toBox([cx, cy, w, h]: Measurement): BoxPx {
  const width = Math.max(1, w);
  const height = Math.max(1, h);
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

function assertTime(tMs: number): void {
  if (!Number.isFinite(tMs)) throw new RangeError(`time must be a finite number of ms, got ${tMs}`);
}

function assertNoise(n: KalmanBoxNoise): void {
  const ok = n.measurement > 0 && n.initialVelocity >= 0 && n.velocityDrift >= 0;
  if (!ok || ![n.measurement, n.initialVelocity, n.velocityDrift].every(Number.isFinite)) {
    throw new RangeError(`noise must be finite with measurement > 0 and the rest >= 0, got ${JSON.stringify(n)}`);
  }
}
