import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import { releaseFrames } from '../../../pipeline/stages/release-frames.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import { FlowGate } from '../../../pipeline/flow/flow-gate.ts';
import type { FrameMeta, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';

const CAMERA = 'cam1';
const meta = (seq: number): FrameMeta => ({ cameraId: CAMERA, seq, ptsMs: seq * 40, capturedAt: 0, width: 2, height: 1, frameKey: frameKey(CAMERA, seq) });
const start: StreamStartMsg = { kind: 'stream-start', v: 1, cameraId: CAMERA, source: 'test', width: 2, height: 1, fps: 25, startedAt: 1 };
const end: StreamEndMsg = { kind: 'stream-end', v: 1, cameraId: CAMERA, frames: 3, reason: 'eof', endedAt: 2 };

/** A store and gate as capture leaves them: `seqs` stored, one credit held per frame. */
function inFlight(capacity: number, ...seqs: number[]) {
  const frameStore = new InMemoryFrameStore();
  const gate = new FlowGate(capacity);
  for (const seq of seqs) {
    assert.ok(gate.tryAcquire());
    frameStore.put(frameKey(CAMERA, seq), Buffer.alloc(6, seq));
  }
  return { frameStore, gate };
}

test('every frame-stage message deletes its pixels and returns one credit; messages pass through unchanged, in order', async () => {
  const deps = inFlight(4, 0, 1, 2);
  const input: PipelineMsg[] = [
    start,
    { kind: 'frame', v: 1, meta: meta(0), timings: {} },
    { kind: 'detections', v: 1, meta: meta(1), faces: [], timings: {} },
    { kind: 'classifications', v: 1, meta: meta(2), faces: [], modelVersion: 'm', timings: {}, fault: { stage: 'annotate', code: 'ERR_ANNOTATE', message: 'x' } },
    end,
  ];
  const out = await lastValueFrom(from(input).pipe(releaseFrames(deps), toArray()));
  assert.is(out.length, input.length);
  out.forEach((msg, i) => assert.is(msg, input[i]));
  assert.is(deps.frameStore.size, 0);
  assert.is(deps.gate.inFlight, 0);
});

test('a credit is back before the next message arrives, and goes to a waiting capture', async () => {
  const deps = inFlight(1, 0);
  const input = new Subject<PipelineMsg>();
  const seen: number[] = [];
  input.pipe(releaseFrames(deps)).subscribe(() => seen.push(deps.gate.inFlight));
  let granted = false;
  const waiting = deps.gate.acquire().then(() => { granted = true; });
  assert.is(deps.gate.waiting, 1);
  input.next(start);
  assert.equal([seen, deps.gate.waiting], [[1], 1], 'control messages return no credit');
  input.next({ kind: 'classifications', v: 1, meta: meta(0), faces: [], modelVersion: 'm', timings: {} });
  await waiting;
  assert.ok(granted, 'the waiter got the released credit');
  assert.equal([deps.gate.inFlight, deps.gate.waiting, deps.frameStore.has(frameKey(CAMERA, 0))], [1, 0, false]);
});

test('a frame released twice errors the stream with ERR_FLOW_GATE (a bug, not a bad frame)', async () => {
  const deps = inFlight(2, 0);
  const twice: PipelineMsg = { kind: 'frame', v: 1, meta: meta(0), timings: {} };
  try {
    await lastValueFrom(from([twice, twice]).pipe(releaseFrames(deps), toArray()));
    assert.unreachable('should have errored');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_FLOW_GATE');
  }
});

test('empty input completes and touches nothing', async () => {
  const deps = inFlight(2, 7);
  assert.equal(await lastValueFrom(from([] as PipelineMsg[]).pipe(releaseFrames(deps), toArray())), []);
  assert.equal([deps.frameStore.size, deps.gate.inFlight], [1, 1]);
});

test.run();
