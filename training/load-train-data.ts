import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../pipeline/logger.ts';
import { EmotionStreamError } from '../common/errors.ts';
import { loadDataset } from './datasets/load-dataset.ts';
import { filterDataset, publicTest } from './datasets/split-filter.ts';
import type { FaceDataset } from './datasets/face-dataset.ts';
import { distillTargets } from './distill-targets.ts';
import type { TrainOptions } from './train-options.ts';

/**
 * A run's training and validation sets: the training data (optionally subsampled to `limit`
 * images spread over every class, optionally with a teacher's distillation targets mixed in)
 * and the validation data (`valData`, else the PublicTest half of the test/ folder beside a
 * Kaggle train/ folder).
 *
 * @throws ERR_USAGE when no validation data is given or found; ERR_DATASET for unreadable data.
 */
export async function loadTrainData(opts: TrainOptions, logger: Logger): Promise<{ trainSet: FaceDataset; valSet: FaceDataset }> {
  const full = await loadDataset(opts.data, { target: opts.target, logger });
  const labelled = opts.limit ? subsample(full, opts.limit) : full;
  let trainSet = labelled;
  if (opts.distill) {
    const started = performance.now();
    const d = await distillTargets(labelled, opts.distill);
    trainSet = d.dataset;
    logger.info({ teacher: d.teacher, tta: opts.distill.tta, weight: opts.distill.weight, agreement: d.agreement, seconds: (performance.now() - started) / 1000 }, 'distillation targets ready');
  }
  const valPath = opts.valData ?? defaultValPath(opts.data);
  if (!valPath) throw new EmotionStreamError('ERR_USAGE', `no validation data: pass --val (no test folder next to ${opts.data})`);
  const valFull = await loadDataset(valPath, { target: opts.target, logger });
  const pub = publicTest(valFull);
  const valSet = !opts.valData && pub.count > 0 ? pub : valFull;
  logger.info({ train: trainSet.count, val: valSet.count, valPath, skipped: trainSet.skipped.length }, 'datasets loaded');
  return { trainSet, valSet };
}

/** The Kaggle layout keeps train/ and test/ side by side: validate on test/'s PublicTest half. */
function defaultValPath(data: string): string | undefined {
  const candidate = join(dirname(resolve(data)), 'test');
  return existsSync(candidate) && resolve(candidate) !== resolve(data) ? candidate : undefined;
}

/** n images spread over the whole (class-sorted) dataset, so every class is represented. */
function subsample(ds: FaceDataset, n: number): FaceDataset {
  const step = ds.count / Math.min(n, ds.count);
  const picks = new Set(Array.from({ length: Math.min(n, ds.count) }, (_, i) => Math.floor(i * step)));
  return filterDataset(ds, (_, i) => picks.has(i), `${ds.name} (first ${picks.size})`);
}
