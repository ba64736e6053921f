import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../pipeline/logger.ts';
import type { FaceDataset } from './face-dataset.ts';
import { detectDatasetFormat, type DetectedDataset } from './detect-format.ts';
import { resolveFerPlusSplit } from './ferplus-split.ts';
import { fingerprintDataset } from './dataset-fingerprint.ts';
import { DatasetCache, DEFAULT_DATASET_CACHE_DIR, type DatasetCacheKey } from './dataset-cache.ts';
import { loadKaggleFolders } from './kaggle-folders.ts';
import { loadImageFolder } from './image-folder.ts';
import { loadFerPlus } from './ferplus.ts';
import { loadFerCsv } from './fer-csv.ts';
import { DEFAULT_FACE_SIZE, type DatasetFormat, type FerPlusTarget, type FerUsage, type LoaderOptions } from './loader-options.ts';

/** Options of loadDataset. */
export interface LoadDatasetOptions extends LoaderOptions {
  /** Default 'auto' (see detectDatasetFormat). */
  format?: 'auto' | DatasetFormat;
  /** FER+ only; default 'majority'. */
  target?: FerPlusTarget;
  /** FER2013 split: fer2013.csv Usage rows, Kaggle `<Usage>_*` files, or the FER+ split when given the FERPlus root. */
  usage?: FerUsage;
  /** Decoded-dataset cache; default true (folder `.cache/datasets` under the working directory). */
  cache?: boolean | { dir?: string };
  /** Load summary at info, unreadable images and cache problems at warn; default silent. */
  logger?: Logger;
}

/**
 * Loads a face dataset in any supported layout (Kaggle FER2013 folders, FER+, fer2013.csv, plain
 * `<class>/<image>` folders) as one FaceDataset of size x size grayscale images over EMOTIONS.
 * With the cache on, the first load decodes and stores the result; later loads with the same input
 * files (count, bytes, newest mtime) and options read it back without decoding any image.
 *
 * @throws EmotionStreamError ERR_DATASET with a one-line message saying what was expected when the
 *   path does not exist, matches no layout or holds no usable images. Unreadable images never throw:
 *   they are listed in `skipped`.
 */
export async function loadDataset(path: string, options: LoadDatasetOptions = {}): Promise<FaceDataset> {
  const size = options.size ?? DEFAULT_FACE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 4096) {
    throw new EmotionStreamError('ERR_DATASET', `image size must be an integer 1..4096, got ${size}`, { context: { size } });
  }
  const logger = options.logger ?? silentLogger();
  const started = performance.now();
  const input = resolveInput(path, options);
  const cache = options.cache === false ? undefined : new DatasetCache(cacheDir(options.cache), logger);
  const key = cache ? cacheKey(input, size, options) : undefined;
  const cached = key && cache?.read(key);
  if (cached) {
    options.onProgress?.(cached.count, cached.count);
    logLoaded(logger, cached, { ms: Math.round(performance.now() - started), cache: 'hit' });
    return cached;
  }
  const dataset = await loadFormat(input, { ...options, size });
  if (key) cache?.write(key, dataset);
  logLoaded(logger, dataset, { ms: Math.round(performance.now() - started), cache: cache ? 'miss' : 'off' });
  return dataset;
}

function logLoaded(logger: Logger, dataset: FaceDataset, extra: { ms: number; cache: string }): void {
  const { name, count, skipped, dropped } = dataset;
  if (skipped.length > 0) logger.warn({ name, skipped: skipped.length, examples: skipped.slice(0, 3) }, 'some images could not be read and were skipped');
  logger.info({ name, count, skipped: skipped.length, dropped, ...extra }, 'dataset loaded');
}

/** The format and the exact input the loader will read (FER+ split folder, csv file, class root). */
function resolveInput(path: string, options: LoadDatasetOptions): DetectedDataset {
  const detected = !options.format || options.format === 'auto' ? detectDatasetFormat(path) : { format: options.format, path: resolve(path) };
  if (detected.format === 'ferplus') return { format: 'ferplus', path: resolveFerPlusSplit(detected.path, options.usage) };
  if (detected.format === 'fer-csv' && statSync(detected.path, { throwIfNoEntry: false })?.isDirectory()) {
    return { format: 'fer-csv', path: join(detected.path, 'fer2013.csv') };
  }
  return detected;
}

function cacheDir(option: LoadDatasetOptions['cache']): string {
  return typeof option === 'object' && option.dir ? option.dir : DEFAULT_DATASET_CACHE_DIR;
}

/** Undefined (no caching) when the input has no files: the loader then reports what was expected. */
function cacheKey(input: DetectedDataset, size: number, options: LoadDatasetOptions): DatasetCacheKey | undefined {
  const fingerprint = fingerprintDataset(input.path);
  if (fingerprint.files === 0) return undefined;
  const target = input.format === 'ferplus' ? (options.target ?? 'majority') : undefined;
  return { path: input.path, format: input.format, size, target, usage: options.usage, fingerprint };
}

function loadFormat(input: DetectedDataset, options: LoadDatasetOptions & { size: number }): Promise<FaceDataset> {
  const { size, onProgress, usage, target } = options;
  switch (input.format) {
    case 'kaggle-folders':
      return loadKaggleFolders(input.path, { size, onProgress, usage });
    case 'image-folder':
      return loadImageFolder(input.path, { size, onProgress, usage });
    case 'ferplus':
      return loadFerPlus(input.path, { size, onProgress, target });
    case 'fer-csv':
      return loadFerCsv(input.path, { size, onProgress, usage });
  }
}
