import { escapeXml } from './escape-xml.ts';
import { reportFormat as fmt } from './report-format.ts';
import { renderEvaluationSection } from './report-evaluation-html.ts';
import { renderHistorySection } from './report-history-html.ts';
import type { TrainingReport } from './training-report-types.ts';

// Plain selectors only: the page stays well-formed XML too, which the tests rely on to parse it.
const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h2 .count { color: #666; font-weight: normal; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; text-align: right; }
th[scope=row], table.facts th, table.settings th { text-align: left; }
table.facts th, table.settings th { color: #555; font-weight: normal; }
table.facts td, table.settings td { text-align: left; }
.headline span { margin-right: 2em; font-size: 1.15em; }
.curves { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0.5em 0; }
img { max-width: 100%; height: auto; }
.empty { color: #666; font-style: italic; }
.settings-row { display: flex; flex-wrap: wrap; gap: 3em; }
`;

/**
 * The whole self-contained HTML page for a training report: no external assets and no scripts, so
 * it opens from disk, from a model's directory or as a CI artifact. Every string from the report is
 * escaped; charts are embedded SVG images.
 */
export function renderReportHtml(report: TrainingReport): string {
  const title = `${report.model.name} ${report.model.version} — training report`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    header(report),
    summary(report),
    ...report.evaluations.map(renderEvaluationSection),
    renderHistorySection(report.history),
    notes(report.notes ?? []),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header({ model, training }: TrainingReport): string {
  const facts: Array<[string, string]> = [
    ['Architecture', model.architecture],
    ['Parameters', fmt.count(model.parameters)],
    ['Dataset', training.dataset],
    ['Backend', `${training.backend} (${fmt.count(training.workers)} worker${training.workers === 1 ? '' : 's'})`],
    ['Epochs', fmt.count(training.epochs)],
    ['Training time', fmt.duration(training.durationSeconds)],
    ['Throughput', `${fmt.number(training.imagesPerSec, 1)} images/s`],
    ['Started', training.startedAt],
    ['Finished', training.finishedAt],
  ];
  const rows = facts.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${escapeXml(v)}</td></tr>`);
  return [
    '<header>',
    `<h1>${escapeXml(model.name)} <span class="count">${escapeXml(model.version)}</span></h1>`,
    `<table class="facts">\n${rows.join('\n')}\n</table>`,
    '<div class="settings-row">',
    settingsTable('Augmentation', training.augmentation),
    settingsTable('Optimizer', training.optimizer),
    '</div>',
    '</header>',
  ].join('\n');
}

function settingsTable(caption: string, settings: Record<string, unknown>): string {
  const entries = Object.entries(settings ?? {});
  const rows = entries.map(([k, v]) => {
    const value = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
    return `<tr><th scope="row">${escapeXml(k)}</th><td>${escapeXml(value)}</td></tr>`;
  });
  const body = rows.length > 0 ? rows.join('\n') : '<tr><td class="empty">none</td></tr>';
  return `<table class="settings">\n<caption>${escapeXml(caption)}</caption>\n${body}\n</table>`;
}

/** One line per evaluation set, so plain and TTA results or the two FER2013 test splits compare at a glance. */
function summary({ evaluations }: TrainingReport): string {
  if (evaluations.length === 0) return '<section class="summary">\n<h2>Evaluation</h2>\n<p class="empty">no evaluation sets</p>\n</section>';
  const rows = evaluations.map(
    ({ name, metrics }) =>
      `<tr><th scope="row">${escapeXml(name)}</th><td>${fmt.count(metrics.count)}</td>` +
      `<td>${fmt.percent(metrics.accuracy, 2)}</td><td>${fmt.percent(metrics.macroF1, 2)}</td></tr>`,
  );
  return [
    '<section class="summary">',
    '<h2>Evaluation</h2>',
    '<table>',
    '<thead><tr><th scope="col">set</th><th scope="col">images</th><th scope="col">accuracy</th><th scope="col">macro-F1</th></tr></thead>',
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table>',
    '</section>',
  ].join('\n');
}

function notes(list: readonly string[]): string {
  if (list.length === 0) return '';
  return `<section class="notes">\n<h2>Notes</h2>\n<ul>\n${list.map((n) => `<li>${escapeXml(n)}</li>`).join('\n')}\n</ul>\n</section>`;
}
