/**
 * Parses fer2013.csv's pixel field ("70 80 82 ...", space-separated 0..255) into `out`.
 * A hand-written scanner: split(' ') + Number() allocates ~2,300 strings per row, which dominates
 * loading the 35,887-row file.
 *
 * @param out - receives the values; must be at least as long as the field's value count.
 * @returns how many values were written, or an error string describing the first bad value.
 */
export function parsePixelRow(field: string, out: Uint8Array): number | string {
  let n = 0;
  let value = -1;
  for (let i = 0; i <= field.length; i++) {
    const code = i < field.length ? field.charCodeAt(i) : 32;
    if (code >= 48 && code <= 57) {
      value = (value < 0 ? 0 : value * 10) + (code - 48);
      if (value > 255) return `pixel ${n + 1} is out of range 0..255`;
    } else if (code === 32 || code === 9) {
      if (value < 0) continue;
      if (n === out.length) return `more than ${out.length} pixels`;
      out[n++] = value;
      value = -1;
    } else {
      return `pixel ${n + 1} is not an integer`;
    }
  }
  return n;
}
