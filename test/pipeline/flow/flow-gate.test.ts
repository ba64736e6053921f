import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { FlowGate } from '../../../pipeline/flow/flow-gate.ts';

test('tryAcquire takes credits up to capacity, release gives them back', () => {
  const gate = new FlowGate(2);
  assert.ok(gate.tryAcquire());
  assert.ok(gate.tryAcquire());
  assert.not.ok(gate.tryAcquire());
  assert.is(gate.inFlight, 2);
  gate.release();
  assert.is(gate.inFlight, 1);
  assert.ok(gate.tryAcquire());
});

test('acquire waits for room and waiters are served first-in first-out', async () => {
  const gate = new FlowGate(1);
  await gate.acquire();
  const order: string[] = [];
  const a = gate.acquire().then(() => order.push('a'));
  const b = gate.acquire().then(() => order.push('b'));
  assert.is(gate.waiting, 2);
  // A queued waiter owns the next credit: tryAcquire must not jump the queue.
  gate.release();
  assert.not.ok(gate.tryAcquire());
  await a;
  assert.equal(order, ['a']);
  assert.is(gate.inFlight, 1);
  gate.release();
  await b;
  assert.equal(order, ['a', 'b']);
  gate.release();
  assert.is(gate.inFlight, 0);
});

test('an aborted acquire rejects with the reason and holds no credit', async () => {
  const gate = new FlowGate(1);
  assert.ok(gate.tryAcquire());
  const controller = new AbortController();
  const waiting = gate.acquire(controller.signal);
  controller.abort(new Error('stopped'));
  try {
    await waiting;
    assert.unreachable('acquire should reject');
  } catch (err) {
    assert.is((err as Error).message, 'stopped');
  }
  assert.is(gate.waiting, 0);
  gate.release();
  assert.is(gate.inFlight, 0);
  await gate.acquire(AbortSignal.timeout(1000));
  assert.is(gate.inFlight, 1);
});

test('acquire with an already aborted signal rejects without waiting', async () => {
  const gate = new FlowGate(3);
  const controller = new AbortController();
  controller.abort(new Error('gone'));
  let rejected = false;
  await gate.acquire(controller.signal).catch(() => (rejected = true));
  assert.ok(rejected);
  assert.is(gate.inFlight, 0);
});

test('onRelease listeners run after each release and can be removed', () => {
  const gate = new FlowGate(2);
  const seen: number[] = [];
  const off = gate.onRelease(() => seen.push(gate.inFlight));
  gate.tryAcquire();
  gate.tryAcquire();
  gate.release();
  gate.release();
  off();
  gate.tryAcquire();
  gate.release();
  assert.equal(seen, [1, 0]);
});

test('releasing more than acquired throws ERR_FLOW_GATE', () => {
  const gate = new FlowGate(1);
  try {
    gate.release();
    assert.unreachable('release should throw');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.is(err.code, 'ERR_FLOW_GATE');
  }
});

test('capacity must be a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    try {
      new FlowGate(bad);
      assert.unreachable(`capacity ${bad} should be rejected`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err));
      assert.is(err.code, 'ERR_CONFIG');
    }
  }
});

test.run();
