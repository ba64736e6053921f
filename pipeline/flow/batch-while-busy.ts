import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Collects the values that arrive while the JS thread is busy and hands them downstream as one
 * array at the next turn of the event loop (setImmediate), at most `maxBatch` at a time, in
 * arrival order. With async detection feeding a synchronous model, frames that finish
 * detection during one predict() call are classified together in the next one.
 * Completion and errors are forwarded after pending values are flushed.
 */
export function batchWhileBusy<T>(maxBatch: number): OperatorFunction<T, T[]> {
  return (source) => new Observable<T[]>((subscriber) => {
    let pending: T[] = [];
    let scheduled: NodeJS.Immediate | null = null;
    let done: { error?: unknown } | null = null;
    const flush = () => {
      scheduled = null;
      while (pending.length > 0) {
        const batch = pending.slice(0, maxBatch);
        pending = pending.slice(maxBatch);
        subscriber.next(batch);
      }
      if (done) done.error !== undefined ? subscriber.error(done.error) : subscriber.complete();
    };
    const schedule = () => { scheduled ??= setImmediate(flush); };
    const sub = source.subscribe({
      next: (value) => { pending.push(value); schedule(); },
      error: (error) => { done = { error }; schedule(); },
      complete: () => { done = {}; schedule(); },
    });
    return () => {
      sub.unsubscribe();
      if (scheduled) clearImmediate(scheduled);
    };
  });
}
