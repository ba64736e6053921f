import type { StackConfig } from '../../config/schema.ts';
import type { Bus } from '../../pipeline/bus/transport.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { WorkerMetrics } from '../../pipeline/observe/worker-metrics.ts';

/** What every stage worker is started with. */
export interface WorkerContext {
  config: StackConfig;
  bus: Bus;
  logger: Logger;
  /** One registry per process: the `stage` label tells workers sharing a process apart. */
  metrics: WorkerMetrics;
}

/** A running worker: `stop()` drains (jobs in hand finish, outputs close) and releases what it opened. */
export interface RunningWorker {
  readonly stage: string;
  stop(force?: boolean): Promise<void>;
}
