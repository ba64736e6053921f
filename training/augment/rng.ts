/**
 * A small seeded PRNG (sfc32: 128-bit state, passes PractRand, ~1 ns a draw) for reproducible
 * augmentation and shuffling. Not cryptographic.
 *
 * Determinism across workers: `fork(...keys)` derives a child from this generator's *seed* and
 * the keys, never from how many numbers were drawn, so `new Rng(seed).fork(epoch, batch)` gives the
 * same stream on whichever worker builds that batch.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly origin: readonly number[];

  /** @param seed - any number or string; equal seeds give equal streams. */
  constructor(seed: number | string | readonly number[] = 0) {
    this.origin = Array.isArray(seed) ? seed.map((word) => word >>> 0) : seedWords(seed as number | string);
    [this.a, this.b, this.c, this.d] = this.origin;
    // sfc32's first outputs are correlated with the seed: discard a few rounds.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [lo, hi) (lo when lo === hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** An independent generator determined by this one's seed and `keys` (e.g. worker, epoch, batch). */
  fork(...keys: number[]): Rng {
    let words = this.origin.slice();
    for (const key of keys) {
      const k = seedWords(key);
      words = words.map((word, j) => fmix32(word ^ fmix32(k[j] + Math.imul(0x9e3779b9, j + 1))));
    }
    return new Rng(words);
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** 128 bits of well-mixed state from a number (its float64 bits) or a string (its UTF-16 code units). */
function seedWords(seed: number | string): number[] {
  let h1 = 0x243f6a88;
  let h2 = 0x85a308d3;
  const feed = (unit: number): void => {
    h1 = fmix32(h1 ^ unit);
    h2 = fmix32(h2 + Math.imul(unit, 0x9e3779b9));
  };
  if (typeof seed === 'number') {
    f64[0] = seed;
    feed(u32[0]);
    feed(u32[1]);
  } else {
    for (let i = 0; i < seed.length; i++) feed(seed.charCodeAt(i));
    feed(seed.length);
  }
  return [h1, h2, fmix32(h1 ^ 0x13198a2e), fmix32(h2 ^ 0x03707344)].map((word) => word >>> 0);
}

/** MurmurHash3's finaliser: a 32-bit bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
