import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { FERPLUS_SPLITS } from './ferplus-split.ts';
import type { DatasetFormat } from './loader-options.ts';

/** A detected dataset: its format and the path its loader should be given. */
export interface DetectedDataset {
  format: DatasetFormat;
  /** Absolute: the csv file, the FER+ split folder or root, or the class-folder root. */
  path: string;
}

const EXPECTED =
  'expected a Kaggle FER2013 folder (train/ or test/ holding angry, disgust, ... class folders), ' +
  'a FER+ folder (FER2013Train|Valid|Test with label.csv), a fer2013.csv, or <class>/<image> folders';

/**
 * Guesses the layout of a dataset path:
 * - a .csv whose header has `pixels` (or a folder holding fer2013.csv) -> fer-csv;
 * - a folder with label.csv, a FER+ root, or a label.csv file -> ferplus;
 * - a folder whose sub-folders are class names -> kaggle-folders when all 7 are there, else image-folder.
 *
 * @throws EmotionStreamError ERR_DATASET with a one-line message saying what was expected when the
 *   path does not exist or matches no layout (a Kaggle download root gets a hint to pick train/ or test/).
 */
export function detectDatasetFormat(path: string): DetectedDataset {
  const abs = resolve(path);
  const stat = statSync(abs, { throwIfNoEntry: false });
  if (!stat) throw new EmotionStreamError('ERR_DATASET', `dataset path ${abs} does not exist: ${EXPECTED}`, { context: { path: abs } });
  const detected = stat.isDirectory() ? detectDirectory(abs) : detectFile(abs);
  if (detected) return detected;
  throw new EmotionStreamError('ERR_DATASET', `no dataset recognised at ${abs}: ${EXPECTED}${kaggleRootHint(abs)}`, { context: { path: abs } });
}

function detectFile(file: string): DetectedDataset | undefined {
  if (basename(file) === 'label.csv') return { format: 'ferplus', path: dirname(file) };
  if (!file.toLowerCase().endsWith('.csv')) return undefined;
  const header = firstLine(file).toLowerCase();
  if (header.includes('pixels')) return { format: 'fer-csv', path: file };
  if (header.includes('neutral') && header.includes('contempt')) {
    throw new EmotionStreamError('ERR_DATASET', `${file} holds FER+ votes without images: load a FER+ split folder (FER2013Train|Valid|Test) instead`, {
      context: { path: file },
    });
  }
  return undefined;
}

function detectDirectory(dir: string): DetectedDataset | undefined {
  if (existsSync(join(dir, 'label.csv'))) return { format: 'ferplus', path: dir };
  if (Object.values(FERPLUS_SPLITS).some((split) => existsSync(join(dir, split, 'label.csv')))) return { format: 'ferplus', path: dir };
  if (existsSync(join(dir, 'fer2013.csv'))) return { format: 'fer-csv', path: join(dir, 'fer2013.csv') };
  const classes = new Set(subfolders(dir).map((name) => name.toLowerCase()).filter((name) => (EMOTIONS as readonly string[]).includes(name)));
  if (classes.size === 0) return undefined;
  return { format: classes.size === EMOTIONS.length ? 'kaggle-folders' : 'image-folder', path: dir };
}

function kaggleRootHint(dir: string): string {
  const splits = ['train', 'test'].filter((name) => existsSync(join(dir, name)) && statSync(join(dir, name)).isDirectory());
  return splits.length > 0 ? ` (this looks like a Kaggle download root: pass ${splits.map((name) => join(dir, name)).join(' or ')})` : '';
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(dir, entry.name), { throwIfNoEntry: false })?.isDirectory()))
    .map((entry) => entry.name);
}

/** The file's first line (at most 4 KiB), without reading a 300 MB csv. */
function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const bytes = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytes).toString('utf8').split(/\r?\n/, 1)[0];
  } finally {
    closeSync(fd);
  }
}
