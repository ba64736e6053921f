import { QueueStageRunner } from '../../pipeline/runners/queue-stage-runner.ts';
import { nextQueue, type FrameStage, type StageServices } from '../../pipeline/stage-registry.ts';
import { loadFaceDetector } from '../../pipeline/detectors/load-face-detector.ts';
import { loadEmotionClassifier } from '../../pipeline/classifiers/load-emotion-classifier.ts';
import { InMemoryFrameStore } from '../../pipeline/frames/frame-store.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import { followPromotedModel } from './follow-promoted-model.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/**
 * A frame stage of the registry (detect-faces, classify-emotion, annotate) as a worker on the bus:
 * loads what the stage needs, then runs its unchanged operator over the jobs of its queue and
 * hands each result to the next queue the stream wants. A classifier also follows promoted
 * model versions (hot reload).
 */
export async function startFrameStageWorker(stage: FrameStage, { config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: stage.worker });
  const concurrency = stage.workerConcurrency(config.workers);
  // The runner hands the operator its own frame store; this one is replaced before any frame flows.
  const services: StageServices = { frameStore: new InMemoryFrameStore(), logger: log, concurrency, maxBatchFaces: config.classifier.maxBatchFaces };
  let unfollow: (() => Promise<void>) | undefined;
  if (stage.needs === 'detector') services.detector = await loadFaceDetector(config.detector, log);
  if (stage.needs === 'classifier') {
    const { classifier, backend } = await loadEmotionClassifier(config.classifier);
    services.classifier = classifier;
    log.info({ model: classifier.version, backend }, 'model loaded');
    unfollow = await followPromotedModel(bus, services, config.classifier, log);
  }
  const runner = new QueueStageRunner({
    bus, from: stage.queue, concurrency, frameTtlMs: config.bus.frameTtlSeconds * 1000, logger: log, writesPixels: stage.writesPixels,
    operator: (frameStore) => observeStage(stage.worker, stage.operator(Object.assign(services, { frameStore })), metrics, { faultStage: stage.name }),
    route: (env) => nextQueue(stage, env),
  }).start();
  metrics.trackQueueDepth(stage.queue, () => bus.queue(stage.queue).depth());
  return {
    stage: stage.worker,
    async stop(force) {
      await unfollow?.();
      await runner.stop(force);
      services.detector?.dispose?.();
      services.classifier?.dispose();
    },
  };
}
