import { defer, finalize, tap, type Observable, type OperatorFunction } from 'rxjs';
import { isFrameStageMsg, type PipelineMsg } from '../messages.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

/** Frames in a stage at once beyond which the oldest timing is forgotten (a stage that swallows frames must not grow the map forever). */
const DEFAULT_MAX_TRACKED = 4096;

export interface ObserveStageOptions {
  /** Clock in milliseconds (default `performance.now`); a test passes its scheduler's `now`. */
  now?: () => number;
  /**
   * The `fault.stage` this stage writes, when it differs from the metric label: the stage
   * operators name themselves 'detect-faces', 'classify-emotion', 'annotate' (default: `stage`).
   */
  faultStage?: string;
  /** Most in-flight frame timings kept (default 4096); beyond it the oldest is dropped and that frame goes out without a latency sample. */
  maxTracked?: number;
}

/**
 * Wraps a stage operator with metrics without changing what flows through it: every
 * frame-stage message ('frame' | 'detections' | 'classifications') going in counts
 * `frames_in_total{stage}`, every one coming out counts `frames_out_total{stage}` and records
 * its latency (from the input with the same `meta.frameKey` to this output), and an output
 * whose `fault.stage` is this stage counts `errors_total{stage, code}`. Control messages pass
 * uncounted; errors, completion and unsubscription pass through unchanged.
 */
export function observeStage(
  stage: string,
  operator: OperatorFunction<PipelineMsg, PipelineMsg>,
  metrics: WorkerMetrics,
  options: ObserveStageOptions = {},
): OperatorFunction<PipelineMsg, PipelineMsg> {
  const now = options.now ?? (() => performance.now());
  const faultStage = options.faultStage ?? stage;
  const maxTracked = options.maxTracked ?? DEFAULT_MAX_TRACKED;

  return (source: Observable<PipelineMsg>) => defer(() => {
    // One map per subscription: two subscribers of the same wrapped stream never share timings.
    const started = new Map<string, number>();
    const input = source.pipe(tap((msg) => {
      if (!isFrameStageMsg(msg)) return;
      metrics.frameIn(stage);
      started.delete(msg.meta.frameKey);
      if (started.size >= maxTracked) started.delete(started.keys().next().value as string);
      started.set(msg.meta.frameKey, now());
    }));
    return operator(input).pipe(
      tap((msg) => {
        if (!isFrameStageMsg(msg)) return;
        const t0 = started.get(msg.meta.frameKey);
        started.delete(msg.meta.frameKey);
        metrics.frameOut(stage, t0 === undefined ? undefined : now() - t0);
        if (msg.fault && msg.fault.stage === faultStage) metrics.error(stage, msg.fault.code);
      }),
      finalize(() => started.clear()),
    );
  });
}
