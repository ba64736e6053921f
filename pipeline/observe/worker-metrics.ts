import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { silentLogger, type Logger } from '../logger.ts';

/** Metric names, exported so dashboards, alerts and tests spell them once. */
export const METRIC_NAMES = {
  framesIn: 'emotion_stream_frames_in_total',
  framesOut: 'emotion_stream_frames_out_total',
  framesDropped: 'emotion_stream_frames_dropped_total',
  errors: 'emotion_stream_errors_total',
  stageLatency: 'emotion_stream_stage_latency_seconds',
  queueDepth: 'emotion_stream_queue_depth',
  pollErrors: 'emotion_stream_bus_poll_errors_total',
} as const;

/** Stage latency buckets in seconds: 1 ms (a cheap pass-through) .. 2 s (a slow batched predict). */
export const STAGE_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

/** A scrape waits at most this long for one queue's depth; a slower queue is left out of that scrape. */
const DEFAULT_DEPTH_TIMEOUT_MS = 2000;

export interface WorkerMetricsOptions {
  /** Value of the `service` label on every metric (e.g. "classifier" or "up"). */
  service: string;
  /** Collect prom-client's default process metrics (CPU, memory, event loop, GC) too (default true). */
  defaultMetrics?: boolean;
  /** Most milliseconds a scrape waits for one queue-depth function (default 2000). */
  depthTimeoutMs?: number;
  /** Where failing queue-depth functions are reported (default: silent). */
  logger?: Logger;
}

/**
 * The Prometheus metrics of one worker process, in a registry of its own (never prom-client's
 * global one), so tests and several workers in one process never collide on metric names.
 * Serve it with `startMetricsServer` (metrics-server.ts).
 */
export class WorkerMetrics {
  /** The registry behind these metrics, for a caller that adds metrics of its own. */
  readonly registry: Registry;
  private readonly framesIn: Counter<'stage'>;
  private readonly framesOut: Counter<'stage'>;
  private readonly framesDropped: Counter<'camera'>;
  private readonly errors: Counter<'stage' | 'code'>;
  private readonly latency: Histogram<'stage'>;
  private readonly pollErrors: Counter<'stage'>;
  private readonly depthFns = new Map<string, () => Promise<number>>();
  private readonly logger: Logger;
  private readonly depthTimeoutMs: number;

  constructor(options: WorkerMetricsOptions) {
    this.logger = options.logger ?? silentLogger();
    this.depthTimeoutMs = options.depthTimeoutMs ?? DEFAULT_DEPTH_TIMEOUT_MS;
    this.registry = new Registry();
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.framesIn = new Counter({ name: METRIC_NAMES.framesIn, help: 'Frame messages that entered a stage', labelNames: ['stage'], registers });
    this.framesOut = new Counter({ name: METRIC_NAMES.framesOut, help: 'Frame messages that left a stage', labelNames: ['stage'], registers });
    this.framesDropped = new Counter({ name: METRIC_NAMES.framesDropped, help: 'Frames a live source dropped because the pipeline was behind', labelNames: ['camera'], registers });
    this.errors = new Counter({ name: METRIC_NAMES.errors, help: 'Faults a stage put on a frame, by error code', labelNames: ['stage', 'code'], registers });
    this.pollErrors = new Counter({ name: METRIC_NAMES.pollErrors, help: 'Bus reads a stage polls (e.g. capture\'s done counter) that failed and were retried', labelNames: ['stage'], registers });
    this.latency = new Histogram({
      name: METRIC_NAMES.stageLatency, help: 'Time a frame message spent in a stage', labelNames: ['stage'], buckets: STAGE_LATENCY_BUCKETS, registers,
    });
    const self = this;
    new Gauge({
      name: METRIC_NAMES.queueDepth, help: 'Messages waiting in a bus queue, read at scrape time', labelNames: ['queue'], registers,
      // Read at scrape time: a depth is only worth what it is now. Reset first so a queue whose
      // depth could not be read is absent from this scrape rather than showing a stale value.
      async collect() {
        this.reset();
        const depths = await Promise.all([...self.depthFns].map(async ([queue, fn]) => [queue, await self.readDepth(queue, fn)] as const));
        for (const [queue, depth] of depths) if (depth !== undefined) this.set({ queue }, depth);
      },
    });
  }

  /** prom-client's content type of `render()`'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** A frame-stage message entered `stage`. */
  frameIn(stage: string): void {
    this.framesIn.inc({ stage });
  }

  /** A frame-stage message left `stage`, after `latencyMs` milliseconds in it when known. */
  frameOut(stage: string, latencyMs?: number): void {
    this.framesOut.inc({ stage });
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) this.latency.observe({ stage }, latencyMs / 1000);
  }

  /** A live source dropped `n` frames of `camera`. */
  dropped(camera: string, n = 1): void {
    if (n > 0) this.framesDropped.inc({ camera }, n);
  }

  /** `stage` put a fault with error `code` on a frame. */
  error(stage: string, code: string): void {
    this.errors.inc({ stage, code });
  }

  /** A bus read `stage` polls failed (it retries on its next poll). */
  pollError(stage: string): void {
    this.pollErrors.inc({ stage });
  }

  /**
   * Reports the depth of `queue` on every scrape by calling `depth()`; registering a queue
   * again replaces its function. A depth function that fails or takes longer than
   * `depthTimeoutMs` is logged and left out of that scrape; the scrape itself goes on.
   */
  trackQueueDepth(queue: string, depth: () => Promise<number>): void {
    this.depthFns.set(queue, depth);
  }

  /** Stops reporting `queue` (e.g. when its consumer closes). */
  untrackQueueDepth(queue: string): void {
    this.depthFns.delete(queue);
  }

  /** Every metric in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private async readDepth(queue: string, fn: () => Promise<number>): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.depthTimeoutMs} ms`)), this.depthTimeoutMs);
      });
      const value = await Promise.race([Promise.resolve().then(fn), timeout]);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`depth is not a finite number: ${String(value)}`);
      return value;
    } catch (err) {
      this.logger.warn({ queue, err }, 'queue depth could not be read; left out of this scrape');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
