import { Observable, type OperatorFunction } from 'rxjs';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Collects the values that arrive while the JS thread is busy and hands them downstream as one
 * array at the next turn of the event loop (setImmediate), at most `maxBatch` at a time, in
 * arrival order. With async detection feeding a synchronous model, frames that finish
 * detection during one predict() call are classified together in the next one.
 * Completion and errors are forwarded after pending values are flushed.
 *
 * @throws ERR_CONFIG when `maxBatch` is not a positive integer (0 would never drain the queue).
 */
export function batchWhileBusy<T>(maxBatch: number): OperatorFunction<T, T[]> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new EmotionStreamError('ERR_CONFIG', `batchWhileBusy needs a positive integer maxBatch, got ${maxBatch}`, { context: { maxBatch } });
  }
  return (source) => new Observable<T[]>((subscriber) => {
    let pending: T[] = [];
    let scheduled: NodeJS.Immediate | null = null;
    // A tagged union, not `error !== undefined`: a source may error with undefined.
    let done: { failed: false } | { failed: true; error: unknown } | null = null;
    const flush = () => {
      scheduled = null;
      while (pending.length > 0) {
        const batch = pending.slice(0, maxBatch);
        pending = pending.slice(maxBatch);
        subscriber.next(batch);
      }
      if (!done) return;
      if (done.failed) subscriber.error(done.error);
      else subscriber.complete();
    };
    const schedule = () => { scheduled ??= setImmediate(flush); };
    const sub = source.subscribe({
      next: (value) => { pending.push(value); schedule(); },
      error: (error) => { done = { failed: true, error }; schedule(); },
      complete: () => { done = { failed: false }; schedule(); },
    });
    return () => {
      sub.unsubscribe();
      if (scheduled) clearImmediate(scheduled);
    };
  });
}
