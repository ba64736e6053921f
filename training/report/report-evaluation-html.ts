import { escapeXml } from './escape-xml.ts';
import { reportFormat as fmt } from './report-format.ts';
import { svgImageTag } from './svg-image-tag.ts';
import { renderConfusionMatrix } from './svg-confusion-matrix.ts';
import type { ReportEvaluation } from './training-report-types.ts';

/**
 * The HTML section for one evaluation set: its headline accuracy and macro-F1, a per-class
 * precision/recall/F1/support table, and the confusion-matrix heatmap as an embedded SVG image.
 * Class names come from `metrics.perClass`, whose key order is the confusion matrix's order.
 */
export function renderEvaluationSection(evaluation: ReportEvaluation): string {
  const { name, metrics } = evaluation;
  const classes = Object.keys(metrics.perClass);
  const heatmap = renderConfusionMatrix({ classes, confusion: metrics.confusion, title: `Confusion matrix — ${name}` });
  return [
    '<section class="evaluation">',
    `<h2>${escapeXml(name)} <span class="count">(${fmt.count(metrics.count)})</span></h2>`,
    '<p class="headline">',
    `<span><b>Accuracy</b> ${fmt.percent(metrics.accuracy, 2)}</span>`,
    `<span><b>Macro-F1</b> ${fmt.percent(metrics.macroF1, 2)}</span>`,
    `<span><b>Images</b> ${fmt.count(metrics.count)}</span>`,
    '</p>',
    perClassTable(evaluation),
    `<figure>${svgImageTag(heatmap, `Confusion matrix for ${name}: rows are true labels, columns predictions`)}</figure>`,
    '</section>',
  ].join('\n');
}

function perClassTable({ metrics }: ReportEvaluation): string {
  const rows = Object.entries(metrics.perClass).map(
    ([cls, c]) =>
      `<tr><th scope="row">${escapeXml(cls)}</th><td>${fmt.percent(c.precision)}</td><td>${fmt.percent(c.recall)}</td>` +
      `<td>${fmt.percent(c.f1)}</td><td>${fmt.count(c.support)}</td></tr>`,
  );
  return [
    '<table class="per-class">',
    '<thead><tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">F1</th><th scope="col">support</th></tr></thead>',
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}
