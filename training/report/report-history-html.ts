import type { EpochRecord } from '../../pipeline/models/evaluation-result.ts';
import { escapeXml } from './escape-xml.ts';
import { reportFormat as fmt } from './report-format.ts';
import { svgImageTag } from './svg-image-tag.ts';
import { renderLineChart } from './svg-line-chart.ts';

/** One figure per epoch: the averaged weights' figures exist only from --swa-start on. */
type Pick = (r: EpochRecord) => number;
type PickAveraged = (r: EpochRecord) => number | undefined;

/**
 * The HTML section with the notebook's two plots, "Model Accuracy" and "Model Loss" (train vs
 * validation per epoch) as embedded SVG images, the best validation epoch, and the full per-epoch
 * log in a collapsed table. With weight averaging (--swa-start) the averaged weights' validation
 * is a third line and two more columns: the exported model may be the average, not an epoch's own
 * weights. An empty history (a model evaluated without its training log) renders a short "no
 * training history" note instead.
 */
export function renderHistorySection(history: readonly EpochRecord[]): string {
  if (history.length === 0) {
    return '<section class="history">\n<h2>Training curves</h2>\n<p class="empty">no training history</p>\n</section>';
  }
  const curves = (title: string, pick: { train: Pick; val: Pick; averaged: PickAveraged }, formatY?: (v: number, decimals: number) => string) => {
    const series = [{ name: 'Train', values: history.map(pick.train) }, { name: 'Validation', values: history.map(pick.val) }];
    if (hasAverage(history)) series.push({ name: 'Averaged weights', values: history.map((r) => pick.averaged(r) ?? Number.NaN) });
    return renderLineChart({ title, xLabel: 'Epoch', yLabel: title.replace('Model ', ''), x: history.map((r) => r.epoch), series, formatY });
  };
  // Tick decimals are for fractions; as percentages two of them move in front of the point.
  const accuracy = curves('Model Accuracy', { train: (r) => r.accuracy, val: (r) => r.valAccuracy, averaged: (r) => r.swaValAccuracy }, (v, decimals) => `${(v * 100).toFixed(Math.max(0, decimals - 2))}%`);
  const loss = curves('Model Loss', { train: (r) => r.loss, val: (r) => r.valLoss, averaged: (r) => r.swaValLoss });
  return [
    '<section class="history">',
    '<h2>Training curves</h2>',
    bestEpoch(history),
    `<div class="curves"><figure>${svgImageTag(accuracy, 'Model accuracy per epoch, train and validation')}</figure>`,
    `<figure>${svgImageTag(loss, 'Model loss per epoch, train and validation')}</figure></div>`,
    epochTable(history),
    '</section>',
  ].join('\n');
}

function hasAverage(history: readonly EpochRecord[]): boolean {
  return history.some((r) => Number.isFinite(r.swaValAccuracy));
}

/** The best validation accuracy, of an epoch's own weights or (with averaging) of the average up to that epoch; the first on ties, as training picks. */
function bestEpoch(history: readonly EpochRecord[]): string {
  const candidates = history.flatMap((r) => [
    { epoch: r.epoch, accuracy: r.valAccuracy, what: '' },
    { epoch: r.epoch, accuracy: r.swaValAccuracy ?? Number.NaN, what: ' (weights averaged up to that epoch)' },
  ]).filter((c) => Number.isFinite(c.accuracy));
  if (candidates.length === 0) return '<p>No validation accuracy was recorded.</p>';
  const best = candidates.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return `<p>Best validation accuracy <b>${fmt.percent(best.accuracy, 2)}</b> at epoch ${fmt.count(best.epoch)} of ${fmt.count(history.length)}${best.what}.</p>`;
}

function epochTable(history: readonly EpochRecord[]): string {
  const averaged = hasAverage(history);
  const head = ['epoch', 'loss', 'accuracy', 'val loss', 'val accuracy', ...(averaged ? ['averaged val loss', 'averaged val accuracy'] : []), 'learning rate', 'seconds', 'images/s'];
  const rows = history.map((r) => {
    const cells = [
      fmt.count(r.epoch), fmt.number(r.loss, 4), fmt.percent(r.accuracy, 2), fmt.number(r.valLoss, 4),
      fmt.percent(r.valAccuracy, 2),
      ...(averaged ? [fmt.number(r.swaValLoss ?? Number.NaN, 4), fmt.percent(r.swaValAccuracy ?? Number.NaN, 2)] : []),
      Number.isFinite(r.learningRate) ? r.learningRate.toExponential(2) : '–',
      fmt.number(r.seconds, 1), fmt.count(r.imagesPerSec),
    ];
    return `<tr>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
  });
  return [
    '<details>',
    `<summary>Per-epoch log (${fmt.count(history.length)} epochs)</summary>`,
    '<table class="epochs">',
    `<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table>',
    '</details>',
  ].join('\n');
}
