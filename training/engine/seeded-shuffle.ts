/** A deterministic permutation of 0..n-1 for (seed, epoch): resumed runs replay the same order. */
export function seededPermutation(n: number, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = (seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    // xorshift32: fast, and enough for shuffling.
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
}
