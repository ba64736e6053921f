import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowGate } from '../../../pipeline/flow/flow-gate.ts';
import { FramePump, type PumpedFrame } from '../../../pipeline/flow/frame-pump.ts';

function frame(seq: number, ptsMs = seq * 100): PumpedFrame {
  return { seq, ptsMs, capturedAt: Date.now(), pixels: Buffer.from([seq]) };
}

function harness(mode: 'replay' | 'live', capacity: number, realtime = false) {
  const gate = new FlowGate(capacity);
  const emitted: PumpedFrame[] = [];
  const emittedAt: number[] = [];
  const dropped: number[] = [];
  const pauses: boolean[] = [];
  const pump = new FramePump({
    mode,
    realtime,
    gate,
    emit: (f) => {
      emitted.push(f);
      emittedAt.push(Date.now());
    },
    drop: (f) => dropped.push(f.seq),
    setPaused: (p) => pauses.push(p),
  });
  return { gate, pump, emitted, emittedAt, dropped, pauses };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('replay: emits while credits are free, then pauses the source instead of dropping', async () => {
  const h = harness('replay', 2);
  for (let seq = 0; seq < 4; seq += 1) h.pump.push(frame(seq));
  assert.equal(h.emitted.map((f) => f.seq), [0, 1]);
  assert.equal(h.pauses, [true]);
  assert.is(h.pump.pending, 2);
  h.gate.release();
  await tick();
  assert.equal(h.emitted.map((f) => f.seq), [0, 1, 2]);
  h.gate.release();
  await tick();
  assert.equal(h.emitted.map((f) => f.seq), [0, 1, 2, 3]);
  assert.equal(h.pauses, [true, false]);
  assert.equal(h.dropped, []);
  assert.is(h.gate.inFlight, 2);
  await h.pump.idle();
  assert.is(h.pump.emitted, 4);
});

test('live: keeps only the newest waiting frame and never pauses the source', async () => {
  const h = harness('live', 1);
  for (let seq = 0; seq < 5; seq += 1) h.pump.push(frame(seq));
  assert.equal(h.emitted.map((f) => f.seq), [0]);
  assert.equal(h.dropped, [1, 2, 3]);
  assert.is(h.pump.pending, 1);
  h.gate.release();
  await tick();
  assert.equal(h.emitted.map((f) => f.seq), [0, 4]);
  assert.is(h.pump.dropped, 3);
  assert.equal(h.pauses, []);
});

test('stop discards waiting frames, cancels the gate wait and settles idle()', async () => {
  const h = harness('replay', 1);
  h.pump.push(frame(0));
  h.pump.push(frame(1));
  const idle = h.pump.idle();
  h.pump.stop();
  await idle;
  assert.is(h.gate.waiting, 0);
  h.gate.release();
  await tick();
  assert.equal(h.emitted.map((f) => f.seq), [0]);
  assert.is(h.gate.inFlight, 0);
  h.pump.push(frame(2));
  assert.is(h.emitted.length, 1);
});

test('realtime: no frame leaves before first-frame time + ptsMs', async () => {
  const h = harness('replay', 10, true);
  const started = Date.now();
  for (let seq = 0; seq < 3; seq += 1) h.pump.push(frame(seq, seq * 40));
  assert.equal(h.emitted.map((f) => f.seq), [0]);
  await h.pump.idle();
  assert.equal(h.emitted.map((f) => f.seq), [0, 1, 2]);
  h.emittedAt.forEach((at, i) => assert.ok(at - started >= i * 40 - 1, `frame ${i} left ${at - started} ms after start`));
  assert.ok(h.emitted[2].capturedAt - started >= 79, 'a paced frame is captured when due');
});

test.run();
