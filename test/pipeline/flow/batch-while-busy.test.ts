import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMPTY, Observable, Subject, concat, from, throwError, type Observer } from 'rxjs';
import { batchWhileBusy } from '../../../pipeline/flow/batch-while-busy.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';

/** Resolves after the event loop has run the immediates queued so far (the operator's flush). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Note<T> = { next: T } | { error: unknown } | { complete: true };

/** Subscribes and records every notification in order. */
function record<T>(source: Observable<T>) {
  const notes: Note<T>[] = [];
  const observer: Observer<T> = {
    next: (value) => notes.push({ next: value }),
    error: (error) => notes.push({ error }),
    complete: () => notes.push({ complete: true }),
  };
  const subscription = source.subscribe(observer);
  return { notes, subscription };
}

test('values that arrive in the same tick come out as one batch, in order, at the next turn', async () => {
  const { notes } = record(from([1, 2, 3]).pipe(batchWhileBusy(10)));
  assert.equal(notes, [], 'nothing is emitted synchronously');
  await nextTurn();
  assert.equal(notes, [{ next: [1, 2, 3] }, { complete: true }]);
});

test('values of different ticks form different batches', async () => {
  const input = new Subject<string>();
  const { notes } = record(input.pipe(batchWhileBusy(10)));
  input.next('a');
  input.next('b');
  await nextTurn();
  input.next('c');
  await nextTurn();
  input.next('d');
  input.next('e');
  input.complete();
  await nextTurn();
  assert.equal(notes, [{ next: ['a', 'b'] }, { next: ['c'] }, { next: ['d', 'e'] }, { complete: true }]);
});

test('maxBatch splits a tick into consecutive batches of at most maxBatch, order kept', async () => {
  const { notes } = record(from([1, 2, 3, 4, 5, 6, 7]).pipe(batchWhileBusy(3)));
  await nextTurn();
  assert.equal(notes, [{ next: [1, 2, 3] }, { next: [4, 5, 6] }, { next: [7] }, { complete: true }]);
  const one = record(from([1, 2]).pipe(batchWhileBusy(1)));
  await nextTurn();
  assert.equal(one.notes, [{ next: [1] }, { next: [2] }, { complete: true }]);
});

test('an error is forwarded after the pending values are flushed', async () => {
  const boom = new Error('boom');
  const { notes } = record(concat(from([1, 2]), throwError(() => boom)).pipe(batchWhileBusy(10)));
  assert.equal(notes, []);
  await nextTurn();
  assert.equal(notes.length, 2);
  assert.equal(notes[0], { next: [1, 2] });
  assert.is((notes[1] as { error: unknown }).error, boom);
});

test('an error whose value is undefined is still an error, not a completion', async () => {
  const { notes } = record(concat(from([1]), throwError(() => undefined)).pipe(batchWhileBusy(10)));
  await nextTurn();
  assert.equal(notes, [{ next: [1] }, { error: undefined }]);
});

test('empty input completes without a batch', async () => {
  const { notes } = record(EMPTY.pipe(batchWhileBusy(4)));
  await nextTurn();
  assert.equal(notes, [{ complete: true }]);
});

test('unsubscribing cancels the pending flush and unsubscribes from the source', async () => {
  let sourceUnsubscribed = false;
  const input = new Subject<number>();
  const source = new Observable<number>((subscriber) => {
    const sub = input.subscribe(subscriber);
    return () => {
      sourceUnsubscribed = true;
      sub.unsubscribe();
    };
  });
  const { notes, subscription } = record(source.pipe(batchWhileBusy(10)));
  input.next(1);
  input.next(2);
  subscription.unsubscribe();
  assert.ok(sourceUnsubscribed, 'source subscription torn down');
  assert.is(input.observed, false);
  await nextTurn();
  await nextTurn();
  assert.equal(notes, [], 'the values queued before unsubscribe are never delivered');
});

test('a consumer that unsubscribes inside a flush receives nothing more', async () => {
  const seen: number[][] = [];
  const subscription = from([1, 2, 3, 4]).pipe(batchWhileBusy(2)).subscribe((batch) => {
    seen.push(batch);
    subscription.unsubscribe();
  });
  await nextTurn();
  assert.equal(seen, [[1, 2]]);
});

test('values pushed by the consumer during a flush come out after the current batch, in order', async () => {
  const input = new Subject<number>();
  const batches: number[][] = [];
  input.pipe(batchWhileBusy(10)).subscribe((batch) => {
    batches.push(batch);
    if (batch[0] === 1) input.next(3);
  });
  input.next(1);
  input.next(2);
  await nextTurn();
  await nextTurn();
  assert.equal(batches, [[1, 2], [3]]);
});

test('maxBatch must be a positive integer (0 would never drain the queue)', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    try {
      batchWhileBusy(bad);
      assert.unreachable(`maxBatch ${bad} should be refused`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_CONFIG', `maxBatch ${bad}: ${String(err)}`);
    }
  }
});

test.run();
