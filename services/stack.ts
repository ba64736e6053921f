import type { StackConfig } from '../config/schema.ts';
import { connectBus } from '../pipeline/bus/connect-bus.ts';
import { redactUrl } from '../common/redact-url.ts';
import type { Bus } from '../pipeline/bus/transport.ts';
import type { BusRunSummary } from '../pipeline/runners/capture-publisher.ts';
import type { Logger } from '../pipeline/logger.ts';
import { queueStages, type QueueStage } from '../pipeline/stage-registry.ts';
import { WorkerMetrics } from '../pipeline/observe/worker-metrics.ts';
import { startMetricsServer, type MetricsServer } from '../pipeline/observe/metrics-server.ts';
import type { RunningWorker, WorkerContext } from './workers/worker-context.ts';
import { checkCaptureSource, startCapture, type CaptureWorker } from './workers/capture.ts';
import { startFrameStageWorker } from './workers/frame-stage-worker.ts';
import { startSinks } from './workers/sinks.ts';
import { startGateway } from './workers/gateway.ts';
import { startTrainer } from './workers/trainer.ts';

type StartWorker = (ctx: WorkerContext) => Promise<RunningWorker>;
type FrameStageWorker = QueueStage['placement']['worker'];

/**
 * A worker per queue stage of the registry (the embedded pipeline builds from it too), last stage
 * first; the ordered stages (track-emotions, annotate) run in the sinks worker.
 */
function frameStageWorkers(): Record<FrameStageWorker, StartWorker> {
  const workers = queueStages().reverse().map((stage) => [stage.placement.worker, (ctx: WorkerContext) => startFrameStageWorker(stage, ctx)]);
  return Object.fromEntries(workers) as Record<FrameStageWorker, StartWorker>;
}

/**
 * Stage workers by name, in start order: consumers first (the sinks, then the queue stages from
 * the last to the first), then the producers (the gateway runs cameras, capture a source), so no
 * frame waits on a missing stage; they stop in reverse order.
 */
export const STAGE_WORKERS = {
  trainer: startTrainer as StartWorker,
  sinks: startSinks as StartWorker,
  ...frameStageWorkers(),
  gateway: startGateway as StartWorker,
  capture: startCapture as StartWorker,
};

export type StageName = keyof typeof STAGE_WORKERS;
export const STAGE_NAMES = Object.keys(STAGE_WORKERS) as StageName[];

/** Old worker names still accepted: `broadcaster` runs the sinks. */
export const STAGE_ALIASES: Readonly<Record<string, StageName>> = { broadcaster: 'sinks' };

/** Workers that no longer exist, and what to do instead (a clear word rather than "unknown stage"). */
export const RETIRED_STAGES: Readonly<Record<string, string>> = {
  annotator: 'the annotator worker is gone: annotation runs in the sinks worker, after tracking (both need each stream\'s frames in order); drop it from your deployment',
};

/** A stage's name as the stack knows it (aliases resolved), or undefined for an unknown name. */
export function resolveStageName(name: string): StageName | undefined {
  if (Object.hasOwn(STAGE_WORKERS, name)) return name as StageName;
  return Object.hasOwn(STAGE_ALIASES, name) ? STAGE_ALIASES[name] : undefined;
}

export interface RunningStack {
  bus: Bus;
  workers: RunningWorker[];
  /** The capture worker's summary when this stack captures (resolves when its stream is closed). */
  capture?: CaptureWorker;
  metrics: WorkerMetrics;
  /** The bound /metrics port, or null when metrics are not served. */
  metricsPort: number | null;
  /** Drains in flow order (capture first, gateway last) and closes the bus. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Starts the named stage workers in this process on the configured bus: all of them on the
 * in-memory bus is the embedded stack (`emotion-stream up`); one of them on Redis is a scaled-out
 * worker (`emotion-stream worker detector`). A worker that fails to start stops the ones before it.
 */
export async function startStack(config: StackConfig, stages: readonly StageName[], logger: Logger): Promise<RunningStack> {
  if (stages.includes('capture')) await checkCaptureSource(config);
  const { transport, redisUrl, prefix, jobLockSeconds, lockRenewSeconds, stalledCheckSeconds, maxStalledCount } = config.bus;
  const locks = { lockDurationMs: jobLockSeconds * 1000, lockRenewMs: lockRenewSeconds * 1000, stalledIntervalMs: stalledCheckSeconds * 1000, maxStalledCount };
  const bus = await connectBus({ transport, redisUrl, prefix, logger, locks });
  logger.info({ transport: bus.transport, redis: config.bus.redisUrl ? redactUrl(config.bus.redisUrl) : undefined, stages }, 'bus connected');
  const workers: RunningWorker[] = [];
  const metrics = new WorkerMetrics({ service: stages.length === 1 ? stages[0] : 'stack', logger });
  let server: MetricsServer | undefined;
  const stop = async (force = false) => {
    // Flow order: capture stops intake first, each later stage then finishes what is in hand.
    for (const name of [...STAGE_NAMES].reverse()) {
      for (const w of workers.filter((x) => x.stage === name)) {
        await w.stop(force).catch((err: unknown) => logger.error({ stage: w.stage, err }, 'worker did not stop cleanly'));
      }
    }
    await server?.close();
    await bus.close();
  };
  try {
    for (const name of STAGE_NAMES.filter((s) => stages.includes(s))) {
      workers.push(await STAGE_WORKERS[name]({ config, bus, logger, metrics }));
    }
    if (config.metrics.port !== undefined) {
      server = await startMetricsServer({ port: config.metrics.port, host: config.metrics.host, metrics, logger });
      logger.info({ port: server.port, host: config.metrics.host }, 'serving /metrics and /healthz');
    }
  } catch (err) {
    await stop(true);
    throw err;
  }
  const capture = workers.find((w): w is CaptureWorker => w.stage === 'capture');
  return { bus, workers, capture, metrics, metricsPort: server?.port ?? null, stop };
}

export type { BusRunSummary };
