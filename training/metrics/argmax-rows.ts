/**
 * The index of the largest value in each row of a row-major matrix: turns a model's
 * softmax output (`rows × classes` probabilities) into predicted class indices.
 *
 * Ties go to the lowest index, as numpy's argmax does, so the result is stable in the
 * fixed EMOTIONS order. A NaN never beats a number (every comparison with NaN is false).
 *
 * @param probs row-major scores, `probs.length` a multiple of `classes`
 * @param classes values per row, 1..256 (indices must fit a Uint8Array)
 * @returns one class index per row
 * @throws RangeError when `classes` is out of range or does not divide `probs.length`
 */
export function argmaxRows(probs: Float32Array, classes: number): Uint8Array {
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new RangeError(`argmaxRows: classes must be an integer in 1..256, got ${classes}`);
  }
  if (probs.length % classes !== 0) {
    throw new RangeError(`argmaxRows: ${probs.length} values are not a whole number of rows of ${classes}`);
  }
  const rows = probs.length / classes;
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (probs[base + k] > probs[base + best]) best = k;
    }
    out[r] = best;
  }
  return out;
}
