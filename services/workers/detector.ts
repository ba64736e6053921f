import { QueueStageRunner } from '../../pipeline/bus/queue-stage-runner.ts';
import { STAGE_QUEUES } from '../../pipeline/bus/bus-envelope.ts';
import { loadFaceDetector } from '../../pipeline/detectors/load-face-detector.ts';
import { detectFaces } from '../../pipeline/stages/detect-faces.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/** detector worker: frames from the detect queue -> OpenCV faces -> the classify queue. */
export async function startDetector({ config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: 'detector' });
  const detector = await loadFaceDetector(config.detector, log);
  const concurrency = config.workers.detectorConcurrency;
  const runner = new QueueStageRunner({
    bus, from: STAGE_QUEUES.detect, concurrency, frameTtlMs: config.bus.frameTtlSeconds * 1000, logger: log,
    operator: (frameStore) => observeStage('detector', detectFaces({ detector, frameStore, concurrency, logger: log }), metrics, { faultStage: 'detect-faces' }),
    route: () => STAGE_QUEUES.classify,
  }).start();
  metrics.trackQueueDepth(STAGE_QUEUES.detect, () => bus.queue(STAGE_QUEUES.detect).depth());
  return {
    stage: 'detector',
    async stop(force) {
      await runner.stop(force);
      detector.dispose?.();
    },
  };
}
