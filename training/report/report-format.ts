/**
 * Number formatting shared by the HTML report's sections, so every table and heading writes
 * percentages, counts and durations the same way. Non-finite values (a missing measurement) show
 * as an en dash rather than "NaN".
 */
export const reportFormat = {
  /** A fraction 0..1 as a percentage, e.g. 0.5523 -> "55.23%". */
  percent(fraction: number, digits = 1): string {
    return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '–';
  },
  /** An integer count with thousands separators, e.g. 7178 -> "7,178". */
  count(n: number): string {
    return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
  },
  /** A plain number with fixed decimals and thousands separators, e.g. 1234.5 -> "1,234.5". */
  number(n: number, digits: number): string {
    return Number.isFinite(n)
      ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
      : '–';
  },
  /** Seconds as "1 h 02 min 05 s", "3 min 07 s" or "12.4 s". */
  duration(seconds: number): string {
    if (!Number.isFinite(seconds) || seconds < 0) return '–';
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, '0');
    return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${rest} s` : `${m} min ${rest} s`;
  },
} as const;
