import type { EvaluationMetrics } from '../../pipeline/models/evaluation-result.ts';

const HEADER = ['class', 'precision', 'recall', 'F1', 'support'] as const;

/**
 * A plain-text table of one evaluation for terminals and logs: one row per class (in the order
 * of `m.perClass`) with precision, recall and F1 in percent and the support count, then the
 * overall accuracy and macro-F1. Columns are padded with spaces only, so it survives any log sink.
 */
export function formatMetricsTable(m: EvaluationMetrics): string {
  const rows: string[][] = Object.entries(m.perClass).map(([name, c]) => [
    name,
    percent(c.precision),
    percent(c.recall),
    percent(c.f1),
    c.support.toLocaleString('en-US'),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // The class name column is left-aligned, numbers right-aligned so decimal points line up.
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [
    line(HEADER),
    rule,
    ...rows.map(line),
    rule,
    `accuracy  ${percent(m.accuracy)}  (${m.count.toLocaleString('en-US')} images)`,
    `macro-F1  ${percent(m.macroF1)}`,
  ].join('\n');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
