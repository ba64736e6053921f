import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import type { FaceDataset } from './face-dataset.ts';
import { FaceDatasetBuilder } from './face-dataset-builder.ts';
import { decodeImageFiles, type ImageFileInput } from './decode-image-files.ts';
import { FERPLUS_COLUMNS, ferPlusTarget } from './ferplus-target.ts';
import { resolveFerPlusSplit } from './ferplus-split.ts';
import { splitCsvLine } from './split-csv-line.ts';
import { DEFAULT_FACE_SIZE, type FerPlusTarget, type FerUsage, type LoaderOptions } from './loader-options.ts';

/** Options of the FER+ loader. */
export interface FerPlusOptions extends LoaderOptions {
  /** Default 'majority'. See ferPlusTarget for ties and drops. */
  target?: FerPlusTarget;
  /** Which split to load when `path` is the FERPlus root (Training, PublicTest = Valid, PrivateTest = Test). */
  usage?: FerUsage;
}

/**
 * Loads a FER+ split (FERPlus' own generator layout): `<split>/label.csv` rows
 * `image, box, neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF`
 * next to the png images. Votes become targets over EMOTIONS (see ferPlusTarget); dropped rows are
 * counted in `dropped`, not `skipped`; missing or undecodable images and malformed rows go to `skipped`.
 * The box column is ignored: FER+ images are already the 48 x 48 face crop.
 * `sources` are `<split folder>/<image>`, e.g. "FER2013Test/fer0032220.png".
 *
 * @param path - a split folder holding label.csv, or the FERPlus root together with `options.usage`.
 * @throws EmotionStreamError ERR_DATASET when the split or label.csv is missing or has no usable rows.
 */
export async function loadFerPlus(path: string, options: FerPlusOptions = {}): Promise<FaceDataset> {
  const dir = resolveFerPlusSplit(path, options.usage);
  const split = basename(dir);
  const mode = options.target ?? 'majority';
  const lines = readFileSync(join(dir, 'label.csv'), 'utf8').split(/\r?\n/);
  const builder = new FaceDatasetBuilder(`ferplus:${dir} (${mode})`, options.size ?? DEFAULT_FACE_SIZE, lines.length);
  const inputs: ImageFileInput[] = [];
  lines.forEach((line, index) => {
    const row = parseLabelRow(line, index);
    if (row === undefined) return;
    if ('error' in row) return builder.skip(`${split}/label.csv:${index + 1}`, row.error);
    const decision = ferPlusTarget(row.votes, mode);
    if ('drop' in decision) return builder.drop(decision.drop);
    inputs.push({ path: join(dir, row.image), source: `${split}/${row.image}`, target: decision.target });
  });
  await decodeImageFiles(inputs, builder, options.onProgress);
  const dataset = builder.build();
  if (dataset.count === 0) {
    throw new EmotionStreamError('ERR_DATASET', `no usable FER+ rows in ${join(dir, 'label.csv')}: expected lines "image,box,<10 vote counts>" next to the images`, {
      context: { path: dir, skipped: dataset.skipped.length, dropped: dataset.dropped },
    });
  }
  return dataset;
}

type LabelRow = { image: string; votes: number[] } | { error: string };

/** One label.csv line; undefined for blank lines and a header line. */
function parseLabelRow(line: string, index: number): LabelRow | undefined {
  if (line.trim() === '') return undefined;
  const fields = splitCsvLine(line).map((field) => field.trim());
  if (index === 0 && fields.slice(2).some((field) => FERPLUS_COLUMNS.includes(field as never))) return undefined;
  if (fields.length < 2 + FERPLUS_COLUMNS.length) return { error: `expected ${2 + FERPLUS_COLUMNS.length} columns, got ${fields.length}` };
  const votes = fields.slice(2, 2 + FERPLUS_COLUMNS.length).map(Number);
  if (votes.some((v) => !Number.isFinite(v) || v < 0)) return { error: 'vote counts must be non-negative numbers' };
  if (fields[0] === '' || fields[0].includes('/') || fields[0].includes('\\')) return { error: `bad image name "${fields[0]}"` };
  return { image: fields[0], votes };
}
