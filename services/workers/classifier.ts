import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { QueueStageRunner } from '../../pipeline/bus/queue-stage-runner.ts';
import { STAGE_QUEUES } from '../../pipeline/bus/bus-envelope.ts';
import { TfjsEmotionClassifier } from '../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { classifyEmotion } from '../../pipeline/stages/classify-emotion.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import { initBackend } from '../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../training/registry/model-registry.ts';
import { TOPICS } from '../../pipeline/bus/bus-envelope.ts';
import { errorMessage } from '../../pipeline/errors.ts';
import type { ClassifyEmotionDeps } from '../../pipeline/stages/classify-emotion.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { ModelNotice } from '../../training/train-job.ts';
import type { TtaMode } from '../../pipeline/classifiers/test-time-augmentation.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/**
 * classifier worker: detections from the classify queue -> one batched predict over the faces of
 * every frame in hand -> the annotate queue (when the stream wants annotated video) or the sink.
 */
export async function startClassifier({ config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: 'classifier' });
  const backend = await initBackend(config.classifier.backend);
  const classifier = await TfjsEmotionClassifier.load(resolveModelDir(config.classifier.modelDir ?? shippedModelFamily()), { tta: config.classifier.tta });
  log.info({ model: classifier.version, backend }, 'model loaded');
  // classify-emotion reads deps.classifier for every batch: swapping it here hot-reloads the model.
  const deps: ClassifyEmotionDeps = { classifier, frameStore: undefined as never, maxBatchFaces: config.classifier.maxBatchFaces, logger: log };
  const runner = new QueueStageRunner({
    bus, from: STAGE_QUEUES.classify, concurrency: config.workers.classifierConcurrency, frameTtlMs: config.bus.frameTtlSeconds * 1000, logger: log,
    operator: (frameStore) => observeStage('classifier', classifyEmotion(Object.assign(deps, { frameStore })), metrics, { faultStage: 'classify-emotion' }),
    route: (env) => (env.annotate ? STAGE_QUEUES.annotate : STAGE_QUEUES.sink),
  }).start();
  metrics.trackQueueDepth(STAGE_QUEUES.classify, () => bus.queue(STAGE_QUEUES.classify).depth());
  const unsubscribe = await bus.topic<ModelNotice>(TOPICS.models).subscribe((notice) => {
    if (!notice.promoted || !followsFamily(config.classifier.modelDir, notice.family)) return;
    void swapModel(deps, notice, config.classifier.tta, log);
  });
  return {
    stage: 'classifier',
    async stop(force) {
      await unsubscribe();
      await runner.stop(force);
      deps.classifier.dispose();
    },
  };
}

/** A classifier pinned to one version directory never switches; one following a family does. */
function followsFamily(modelDir: string | undefined, family: string): boolean {
  const mine = resolve(modelDir ?? shippedModelFamily());
  return mine === resolve(family) && !existsSync(join(mine, 'model.json'));
}

/** Loads the promoted version, then swaps it in; the old model is freed after the swap. A bad model keeps the old one. */
async function swapModel(deps: ClassifyEmotionDeps, notice: ModelNotice, tta: TtaMode, log: Logger): Promise<void> {
  try {
    const next = await TfjsEmotionClassifier.load(notice.dir, { tta });
    const previous = deps.classifier;
    deps.classifier = next;
    // A batch in progress holds the previous model only synchronously (predict is sync), so it is free now.
    previous.dispose();
    log.info({ from: previous.version, to: next.version }, 'promoted model loaded');
  } catch (err) {
    log.error({ err: errorMessage(err), dir: notice.dir }, 'promoted model could not be loaded: keeping the current one');
  }
}
