import { QueueStageRunner } from '../../pipeline/runners/queue-stage-runner.ts';
import { nextQueue, type QueueStage, type StageServices } from '../../pipeline/stage-registry.ts';
import { loadFaceDetector } from '../../pipeline/detectors/load-face-detector.ts';
import { loadEmotionClassifier } from '../../pipeline/classifiers/load-emotion-classifier.ts';
import { InMemoryFrameStore } from '../../pipeline/frames/frame-store.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import { followPromotedModel } from './follow-promoted-model.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/**
 * A queue stage of the registry (detect-faces, classify-emotion) as a worker on the bus: loads
 * what the stage needs, then runs its unchanged operator over the jobs of its queue and hands
 * each result to the next queue. A classifier also follows promoted model versions (hot reload).
 */
export async function startFrameStageWorker(stage: QueueStage, { config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const { worker, queue } = stage.placement;
  const log = logger.child({ stage: worker });
  const concurrency = stage.placement.concurrency(config.workers);
  // The runner hands the operator its own frame store; this one is replaced before any frame flows.
  const services: StageServices = {
    frameStore: new InMemoryFrameStore(), logger: log, concurrency, maxBatchFaces: config.classifier.maxBatchFaces, tracking: config.tracking,
  };
  let unfollow: (() => Promise<void>) | undefined;
  if (stage.needs === 'detector') services.detector = await loadFaceDetector(config.detector, log, config.tracking);
  if (stage.needs === 'classifier') {
    const { classifier, backend } = await loadEmotionClassifier(config.classifier);
    services.classifier = classifier;
    log.info({ model: classifier.version, backend }, 'model loaded');
    unfollow = await followPromotedModel(bus, services, config.classifier, log);
  }
  const runner = new QueueStageRunner({
    bus, from: queue, concurrency, logger: log,
    operator: (frameStore) => observeStage(stage.label, stage.operator(Object.assign(services, { frameStore })), metrics, { faultStage: stage.name }),
    route: () => nextQueue(stage),
  }).start();
  metrics.trackQueueDepth(queue, () => bus.queue(queue).depth());
  return {
    stage: worker,
    async stop(force) {
      await unfollow?.();
      await runner.stop(force);
      services.detector?.dispose?.();
      services.classifier?.dispose();
    },
  };
}
