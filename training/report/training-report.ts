import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import { atomicWrite } from '../../pipeline/models/model-files.ts';
import { renderReportHtml } from './report-html.ts';
import type { TrainingReport } from './training-report-types.ts';

export type { ReportEvaluation, TrainingReport } from './training-report-types.ts';

/**
 * Writes `report.json` (the whole report, pretty-printed; non-finite numbers become null) and
 * `report.html` (a self-contained page with the metrics, confusion matrices and training curves)
 * into `dir`, creating it if needed. Each file is written atomically, so a reader never sees half
 * a report.
 *
 * @returns the absolute-or-relative paths (as `dir` was given) of the two files
 * @throws EmotionStreamError ERR_TRAINING when the directory or a file cannot be written (cause attached)
 */
export async function writeTrainingReport(dir: string, report: TrainingReport): Promise<{ jsonPath: string; htmlPath: string }> {
  const jsonPath = join(dir, 'report.json');
  const htmlPath = join(dir, 'report.html');
  // Render before touching the disk: a malformed report must not leave a JSON without its HTML.
  const html = renderReportHtml(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  try {
    await mkdir(dir, { recursive: true });
    await atomicWrite(jsonPath, json);
    await atomicWrite(htmlPath, html);
  } catch (cause) {
    throw new EmotionStreamError('ERR_TRAINING', `cannot write the training report to ${dir}: ${(cause as Error).message}`, {
      cause,
      context: { dir },
    });
  }
  return { jsonPath, htmlPath };
}
