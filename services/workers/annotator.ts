import { QueueStageRunner } from '../../pipeline/bus/queue-stage-runner.ts';
import { STAGE_QUEUES } from '../../pipeline/bus/bus-envelope.ts';
import { annotate } from '../../pipeline/stages/annotate.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/** annotator worker: draws boxes and "Happy (93.1%)" into the shared frame, then hands it to the sink. */
export async function startAnnotator({ config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: 'annotator' });
  const runner = new QueueStageRunner({
    bus, from: STAGE_QUEUES.annotate, concurrency: config.workers.annotatorConcurrency, frameTtlMs: config.bus.frameTtlSeconds * 1000, logger: log,
    operator: (frameStore) => observeStage('annotator', annotate({ frameStore, logger: log }), metrics, { faultStage: 'annotate' }),
    route: () => STAGE_QUEUES.sink,
    writesPixels: true,
  }).start();
  metrics.trackQueueDepth(STAGE_QUEUES.annotate, () => bus.queue(STAGE_QUEUES.annotate).depth());
  return { stage: 'annotator', stop: (force) => runner.stop(force) };
}
