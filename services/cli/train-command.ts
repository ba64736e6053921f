import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createLogger } from '../../pipeline/logger.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { parseCommandArgs, numberFlag } from './parse-args.ts';
import { ProgressBar, formatDuration } from './progress-bar.ts';
import { defaultTrainOptions, type TrainOptions } from '../../training/train-options.ts';
import { ARCHITECTURES, isArchitectureName } from '../../training/architectures/architecture.ts';
import { loadCheckpoint } from '../../training/checkpoint.ts';
import { detectDatasetFormat } from '../../training/datasets/detect-format.ts';
import { BACKEND_CHOICES, TTA_MODES, type BackendChoice } from '../../config/schema.ts';
import { AUGMENTATION_PRESETS } from '../../training/engine/batch-builder.ts';
import { parseTrainJob, type TrainJob } from '../../training/train-job.ts';
import { TRAIN_QUEUE } from '../workers/trainer.ts';
import { resolveModelDir } from '../../pipeline/models/model-registry.ts';

const USAGE = `usage: emotion-stream train --data <train dir|csv> [options]
  --data <path>         training data: Kaggle fer2013/train folders, a FER+ split, fer2013.csv or <class>/<image> folders
  --val <path>          validation data (default: PublicTest half of <data>/../test)
  --arch <name>         ${Object.keys(ARCHITECTURES).join(' | ')} (default vgg-lite)
  --epochs <n>          (default 40)            --batch-size <n>   (default 64)
  --lr <x>              peak Adam learning rate (default 0.002), cosine-decayed to --min-lr (default 0.00002)
  --workers <n>         data-parallel worker threads (default: one per core)
  --class-weights <m>   none | balanced | sqrt (default none)
  --target <t>          majority | distribution (FER+ vote shares)
  --augment <preset>    notebook (the seed's ImageDataGenerator, default) | light (half the ranges) | none
  --no-augment          same as --augment none
  --init-from <dir>     fine-tune: start from this model directory's weights (same --arch)
  --swa-start <n>       stochastic weight averaging from epoch n: the mean of the epoch-end weights (BatchNorm
                        recomputed) is validated every epoch and exported when best; use with --min-lr = --lr
  --distill-from <dir>  knowledge distillation: targets mix the labels with this model's probabilities
  --distill-tta <mode>  how the teacher sees each image: none | flip | shift (default shift: 10 views)
  --distill-weight <w>  the teacher's share of each target, 0..1 (default 0.5)
  --patience <n>        early stopping patience in epochs (default 10)
  --seed <n>            (default 1)             --limit <n>  train on the first n images only
  --backend <b>         auto | tensorflow | wasm | cpu (default auto: tfjs-node if installed, else wasm)
  --run-dir <dir>       where checkpoints go (default runs/<time>-<arch>)
  --resume <dir>        continue an interrupted run from its last checkpoint
  --export <dir>        write the best model + metadata + report to this model directory when done
  --model-version <v>   the version recorded in the exported metadata (default: today's date)
  --queue               do not train here: queue the job for the stack's trainer worker (needs --redis)
  --redis <url>         the stack's Redis (env EMOTION_STREAM_REDIS_URL); with --queue
  --family <dir>        with --queue: the model family the new version goes into (default: the classifiers')
  --promote             with --queue: make the new version the one classifiers load (they reload at once)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    data: { type: 'string' }, val: { type: 'string' }, arch: { type: 'string' }, epochs: { type: 'string' },
    'batch-size': { type: 'string' }, lr: { type: 'string' }, 'min-lr': { type: 'string' }, workers: { type: 'string' },
    'class-weights': { type: 'string' }, target: { type: 'string' }, 'no-augment': { type: 'boolean' }, augment: { type: 'string' }, 'init-from': { type: 'string' }, 'swa-start': { type: 'string' }, 'distill-from': { type: 'string' }, 'distill-tta': { type: 'string' }, 'distill-weight': { type: 'string' }, patience: { type: 'string' },
    seed: { type: 'string' }, limit: { type: 'string' }, backend: { type: 'string' }, 'run-dir': { type: 'string' },
    resume: { type: 'string' }, export: { type: 'string' },
    'model-version': { type: 'string' }, queue: { type: 'boolean' }, redis: { type: 'string' }, family: { type: 'string' }, promote: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = await resolveOptions(values as Record<string, string | boolean | undefined>);
  if (values.queue) return queueJob(options, values as Record<string, string | boolean | undefined>);
  const logger = createLogger({ name: 'trainer' });
  const bar = new ProgressBar();
  let lastLog = Date.now();
  const { trainAndExport } = await import('../../training/train-and-export.ts');
  const result = await trainAndExport(options, {
    logger,
    exportDir: typeof values.export === 'string' ? resolve(values.export) : undefined,
    version: typeof values['model-version'] === 'string' ? values['model-version'] : undefined,
    onProgress: (p) => {
      bar.update((p.epoch - 1 + p.batch / p.batches) / p.epochs,
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s ETA ${formatDuration(p.etaSeconds)}`);
      // Without a terminal (nohup, CI) progress goes to the log once a minute instead.
      if (!bar.enabled && Date.now() - lastLog > 60_000) {
        lastLog = Date.now();
        logger.info({ ...p, etaSeconds: Math.round(p.etaSeconds) }, 'training progress');
      }
    },
    onEpoch: (r) => {
      bar.done();
      process.stderr.write(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)} acc ${(r.accuracy * 100).toFixed(2)}% | val loss ${r.valLoss.toFixed(4)} val acc ${(r.valAccuracy * 100).toFixed(2)}%${r.swaValAccuracy !== undefined ? ` | averaged: val loss ${r.swaValLoss!.toFixed(4)} val acc ${(r.swaValAccuracy * 100).toFixed(2)}%` : ''} | lr ${r.learningRate.toExponential(2)} | ${r.imagesPerSec.toFixed(0)} img/s, ${formatDuration(r.seconds)}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

async function resolveOptions(v: Record<string, string | boolean | undefined>): Promise<TrainOptions> {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (str('resume')) {
    // Everything else comes from the checkpoint; --epochs may extend the run (default: the run's own).
    const runDir = resolve(str('resume')!);
    const ckpt = await loadCheckpoint(runDir);
    if (!ckpt) throw new EmotionStreamError('ERR_CHECKPOINT', `--resume ${runDir}: no checkpoint there to resume from`, { context: { runDir } });
    const saved = ckpt.state.options as unknown as TrainOptions;
    return { ...saved, runDir, epochs: numberFlag(str('epochs'), 'epochs', saved.epochs, { integer: true, min: 1 }) };
  }
  if (!str('data')) throw new EmotionStreamError('ERR_USAGE', `--data is required\n${USAGE}`);
  const arch = str('arch');
  if (arch !== undefined && !isArchitectureName(arch)) {
    throw new EmotionStreamError('ERR_USAGE', `--arch must be one of ${Object.keys(ARCHITECTURES).join(', ')}, got "${arch}"`);
  }
  // Fail before any run directory, backend or worker exists: one line naming the bad path.
  for (const path of [str('data'), str('val')]) if (path) detectDatasetFormat(path);
  const choice = <T extends string>(k: string, allowed: readonly T[], fallback: T): T => {
    const x = str(k) ?? fallback;
    if (!allowed.includes(x as T)) throw new EmotionStreamError('ERR_USAGE', `--${k} must be one of ${allowed.join(', ')}, got "${x}"`);
    return x as T;
  };
  const init = str('init-from') ? await checkedModelDir(resolve(str('init-from')!), 'init-from') : undefined;
  const distill = str('distill-from') ? await checkedModelDir(resolveModelDir(resolve(str('distill-from')!)), 'distill-from') : undefined;
  // Fine-tuning defaults to the starting model's own architecture.
  const base = defaultTrainOptions({ data: resolve(str('data')!), arch: str('arch') ?? init?.architecture });
  return {
    ...base,
    valData: str('val') ? resolve(str('val')!) : undefined,
    epochs: numberFlag(str('epochs'), 'epochs', base.epochs, { integer: true, min: 1 }),
    batchSize: numberFlag(str('batch-size'), 'batch-size', base.batchSize, { integer: true, min: 1 }),
    learningRate: numberFlag(str('lr'), 'lr', base.learningRate),
    minLearningRate: numberFlag(str('min-lr'), 'min-lr', base.minLearningRate),
    workers: numberFlag(str('workers'), 'workers', base.workers, { integer: true, min: 1 }),
    classWeights: choice('class-weights', ['none', 'balanced', 'sqrt'] as const, 'none'),
    target: choice('target', ['majority', 'distribution'] as const, 'majority'),
    augment: v['no-augment'] === true ? 'none' : choice('augment', AUGMENTATION_PRESETS, 'notebook'),
    initFrom: init?.dir,
    swaStart: str('swa-start') ? numberFlag(str('swa-start'), 'swa-start', 0, { integer: true, min: 1 }) : undefined,
    distill: distill ? {
      from: distill.dir,
      tta: choice('distill-tta', TTA_MODES, 'shift'),
      weight: distillWeight(str('distill-weight')),
    } : undefined,
    patience: numberFlag(str('patience'), 'patience', base.patience, { integer: true, min: 1 }),
    seed: numberFlag(str('seed'), 'seed', base.seed, { integer: true }),
    limit: str('limit') ? numberFlag(str('limit'), 'limit', 0, { integer: true, min: 1 }) : undefined,
    backend: choice<BackendChoice>('backend', BACKEND_CHOICES, 'auto'),
    runDir: str('run-dir') ? resolve(str('run-dir')!) : resolve(base.runDir),
  };
}

function distillWeight(value: string | undefined): number {
  const w = numberFlag(value, 'distill-weight', 0.5);
  if (w > 1) throw new EmotionStreamError('ERR_USAGE', `--distill-weight must be between 0 and 1, got "${value}"`);
  return w;
}

/** --init-from and --distill-from must name an exported model directory; say so before any worker starts. */
async function checkedModelDir(dir: string, flag: string): Promise<{ dir: string; architecture: string | undefined }> {
  if (!existsSync(join(dir, 'model.json')) || !existsSync(join(dir, 'metadata.json'))) {
    throw new EmotionStreamError('ERR_USAGE', `--${flag} ${dir}: not a model directory (needs model.json and metadata.json)`, { context: { [flag]: dir } });
  }
  const meta = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as { architecture?: string };
  return { dir, architecture: meta.architecture };
}

/** Hands the run to the stack's trainer worker through the bus; prints the job id as JSON. */
async function queueJob(o: TrainOptions, v: Record<string, string | boolean | undefined>): Promise<number> {
  const url = (typeof v.redis === 'string' ? v.redis : undefined) ?? process.env.EMOTION_STREAM_REDIS_URL;
  if (!url) throw new EmotionStreamError('ERR_USAGE', '--queue sends the job to a trainer worker through Redis: pass --redis <url> or set EMOTION_STREAM_REDIS_URL');
  const job: TrainJob = parseTrainJob({
    data: o.data, val: o.valData, arch: o.arch, epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate,
    minLearningRate: o.minLearningRate, swaStart: o.swaStart,
    augment: o.augment === true ? 'notebook' : o.augment === false ? 'none' : o.augment, classWeights: o.classWeights, initFrom: o.initFrom, distill: o.distill, limit: o.limit,
    family: typeof v.family === 'string' ? resolve(v.family) : undefined, promote: v.promote === true,
  });
  const { connectBus } = await import('../../pipeline/bus/connect-bus.ts');
  const bus = await connectBus({ transport: 'redis', redisUrl: url });
  try {
    const id = `train-${Date.now().toString(36)}`;
    await bus.queue<TrainJob>(TRAIN_QUEUE).add(id, job);
    process.stdout.write(`${JSON.stringify({ queued: id, queue: TRAIN_QUEUE, job })}\n`);
  } finally {
    await bus.close();
  }
  return 0;
}
