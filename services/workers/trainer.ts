import { join, resolve } from 'node:path';
import { TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import { PoisonMessageError } from '../../pipeline/bus/transport.ts';
import { errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import { shippedModelFamily, promoteVersion } from '../../pipeline/models/model-registry.ts';
import { parseTrainJob, trainOptionsFor, type ModelNotice, type TrainJob } from '../../training/train-job.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/** The queue retraining jobs wait on. */
export const TRAIN_QUEUE = 'train';

/** Where a trainer keeps its runs (checkpoints): env EMOTION_STREAM_RUNS_DIR, default ./runs. */
export function runsDir(): string {
  return resolve(process.env.EMOTION_STREAM_RUNS_DIR ?? 'runs');
}

/**
 * trainer worker: takes retraining jobs one at a time, trains (resuming the job's own run when
 * the job was redelivered after a crash), exports a new model version into the family, promotes
 * it when asked and announces it on the models topic, where classifiers pick it up.
 */
export async function startTrainer({ config, bus, logger }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: 'trainer' });
  const { trainAndExport } = await import('../../training/train-and-export.ts');
  const consumer = bus.queue<TrainJob>(TRAIN_QUEUE).consume(async (job) => {
    let request: TrainJob;
    try {
      request = parseTrainJob(job.data);
    } catch (err) {
      throw new PoisonMessageError(errorMessage(err), { cause: err });
    }
    const family = resolve(request.family ?? config.classifier.modelDir ?? shippedModelFamily());
    const version = `${new Date().toISOString().slice(0, 10)}-job-${job.id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const options = trainOptionsFor(request, job.id, runsDir());
    log.info({ job: job.id, attempt: job.attempt, arch: options.arch, epochs: options.epochs, runDir: options.runDir, family, version }, 'training job started');
    try {
      const result = await trainAndExport(options, { logger: log, exportDir: join(family, version), version });
      const metrics = Object.values(result.metrics as Record<string, { accuracy: number }>)[0];
      if (request.promote) promoteVersion(family, version);
      const notice: ModelNotice = { family, version, dir: join(family, version), promoted: request.promote, accuracy: metrics?.accuracy };
      await bus.topic<ModelNotice>(TOPICS.models).publish(notice);
      log.info({ job: job.id, ...notice }, 'training job finished: model version exported');
    } catch (err) {
      // Bad data or options fail the same way every time: no retry. Anything else (a crash of the
      // engine, a full disk) is retried and resumes from the run's checkpoint.
      if (isEmotionStreamError(err) && ['ERR_USAGE', 'ERR_DATASET', 'ERR_CONFIG', 'ERR_MODEL_LOAD'].includes(err.code)) {
        throw new PoisonMessageError(`training job ${job.id}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  // Validation between epochs runs on this thread: a long lock (workers.trainerLockSeconds, 5 minutes
  // by default) keeps a busy trainer's job its own; the bus checks for stalled jobs at half of it.
  }, { concurrency: 1, lockDurationMs: config.workers.trainerLockSeconds * 1000 });
  log.info({ queue: TRAIN_QUEUE, runsDir: runsDir() }, 'trainer waiting for jobs');
  return { stage: 'trainer', stop: (force) => consumer.close(force) };
}
