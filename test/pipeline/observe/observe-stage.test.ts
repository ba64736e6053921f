import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, concatMap, delay, filter, identity, map, mergeMap, of, timer, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { DetectionsMsg, FrameMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';
import { observeStage } from '../../../pipeline/observe/observe-stage.ts';
import { WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';

const CAMERA = 'cam0';
const meta = (seq: number) => ({ cameraId: CAMERA, seq, ptsMs: seq * 40, capturedAt: 0, width: 64, height: 48, frameKey: `${CAMERA}:${seq}` });
const frame = (seq: number): FrameMsg => ({ kind: 'frame', v: 1, meta: meta(seq), timings: {} });
const detections = (seq: number, fault?: DetectionsMsg['fault']): DetectionsMsg => ({ kind: 'detections', v: 1, meta: meta(seq), faces: [], timings: {}, ...(fault ? { fault } : {}) });
const start: StreamStartMsg = { kind: 'stream-start', v: 1, cameraId: CAMERA, source: 'test', width: 64, height: 48, fps: 25, startedAt: 0 };
const end: StreamEndMsg = { kind: 'stream-end', v: 1, cameraId: CAMERA, frames: 3, reason: 'eof', endedAt: 0 };

/** Sample values of one metric in a fresh scrape, keyed by their labels other than service. */
async function values(m: WorkerMetrics, name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await m.render()).split('\n')) {
    const hit = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!hit || hit[1] !== name) continue;
    const labels = (hit[2] ?? '').split(',').filter((l) => l && !l.startsWith('service=')).join(',');
    out[labels] = Number(hit[3]);
  }
  return out;
}

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.equal(actual, expected));
}

/** A stand-in detect stage: turns frames into detections, puts a fault on seq 2, passes the rest. */
const fakeDetect: OperatorFunction<PipelineMsg, PipelineMsg> = map((msg) => msg.kind !== 'frame' ? msg
  : detections(msg.meta.seq, msg.meta.seq === 2 ? { stage: 'detect-faces', code: 'ERR_DETECT', message: 'boom' } : undefined));

test('values pass through unchanged, in order, the same objects', () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { s: start, a: frame(0), b: detections(1), e: end };
  s.run(({ cold, expectObservable }) => {
    expectObservable(cold('s-a-b-e|', v).pipe(observeStage('x', identity, m, { now: () => s.now() }))).toBe('s-a-b-e|', v);
  });
  // Identity by reference: the wrapper copies nothing.
  const seen: PipelineMsg[] = [];
  of(v.s, v.a, v.b, v.e).pipe(observeStage('x', identity, m)).subscribe((x) => seen.push(x));
  assert.ok(seen[0] === v.s && seen[1] === v.a && seen[2] === v.b && seen[3] === v.e);
});

test('frame-stage messages are counted in and out; control messages are not', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { s: start, a: frame(0), b: frame(1), c: frame(2), e: end, A: detections(0), B: detections(1), C: detections(2, { stage: 'detect-faces', code: 'ERR_DETECT', message: 'boom' }) };
  s.run(({ cold, expectObservable }) => {
    expectObservable(cold('s-a-b-c-e|', v).pipe(observeStage('detect', fakeDetect, m, { faultStage: 'detect-faces' }))).toBe('s-A-B-C-e|', v);
  });
  assert.equal(await values(m, 'emotion_stream_frames_in_total'), { 'stage="detect"': 3 });
  assert.equal(await values(m, 'emotion_stream_frames_out_total'), { 'stage="detect"': 3 });
});

test('latency: from the input with the same frameKey to its output, in ms', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { s: start, a: frame(0), b: frame(1), c: frame(2), e: end };
  // Each frame is held 3 ms, one after the other: latencies 3, 3+1, 3+2 (queued behind the one before).
  const slow: OperatorFunction<PipelineMsg, PipelineMsg> = concatMap((msg) => msg.kind === 'frame' ? of(msg).pipe(delay(3)) : of(msg));
  s.run(({ cold, expectObservable }) => {
    expectObservable(cold('(sabc)', v).pipe(observeStage('classify', slow, m, { now: () => s.now() }))).toBe('s--a--b--c', v);
  });
  const h = await values(m, 'emotion_stream_stage_latency_seconds_count');
  assert.equal(h, { 'stage="classify"': 3 });
  const sum = (await values(m, 'emotion_stream_stage_latency_seconds_sum'))['stage="classify"'];
  assert.ok(Math.abs(sum - (0.003 + 0.006 + 0.009)) < 1e-9, `sum ${sum}`);
  const buckets = await values(m, 'emotion_stream_stage_latency_seconds_bucket');
  assert.is(buckets['le="0.0025",stage="classify"'], 0);
  assert.is(buckets['le="0.005",stage="classify"'], 1);
  assert.is(buckets['le="0.01",stage="classify"'], 3);
});

test('latency on the real clock through Subjects and a timer', async () => {
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const input = new Subject<PipelineMsg>();
  const out: PipelineMsg[] = [];
  let completed = false;
  input.pipe(observeStage('annotate', mergeMap((msg) => timer(30).pipe(map(() => msg))), m))
    .subscribe({ next: (x) => out.push(x), complete: () => { completed = true; } });
  input.next(frame(0));
  input.complete();
  await new Promise((r) => setTimeout(r, 80));
  assert.is(out.length, 1);
  assert.ok(completed);
  const sum = (await values(m, 'emotion_stream_stage_latency_seconds_sum'))['stage="annotate"'];
  assert.ok(sum >= 0.025 && sum < 1, `latency ${sum}s for a 30 ms stage`);
});

test('errors_total counts only faults this stage put on the message', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const upstream = { stage: 'capture-ffmpeg', code: 'ERR_FRAME_MISSING', message: 'gone' };
  const v = { a: frame(1), b: frame(2), c: { ...frame(3), fault: upstream } as FrameMsg, d: frame(2) };
  s.run(({ cold, expectObservable }) => {
    const r = cold('a-b-c-d|', v).pipe(observeStage('detector', fakeDetect, m, { faultStage: 'detect-faces' }));
    expectObservable(r.pipe(map((x) => (x.kind === 'detections' ? `${x.meta.seq}:${x.fault?.code ?? ''}` : `pass:${x.kind}`))))
      .toBe('a-b-c-d|', { a: '1:', b: '2:ERR_DETECT', c: '3:', d: '2:ERR_DETECT' });
  });
  assert.equal(await values(m, 'emotion_stream_errors_total'), { 'stage="detector",code="ERR_DETECT"': 2 });

  // Without faultStage the label is also the fault's stage: a fault of another stage counts nothing.
  const m2 = new WorkerMetrics({ service: 't', defaultMetrics: false });
  of({ ...frame(5), fault: upstream } as FrameMsg, frame(6)).pipe(observeStage('detect-faces', identity, m2)).subscribe();
  assert.equal(await values(m2, 'emotion_stream_errors_total'), {});
  of({ ...frame(5), fault: upstream } as FrameMsg).pipe(observeStage('capture-ffmpeg', identity, m2)).subscribe();
  assert.equal(await values(m2, 'emotion_stream_errors_total'), { 'stage="capture-ffmpeg",code="ERR_FRAME_MISSING"': 1 });
});

test('an error from the source or the operator propagates unchanged', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const boom = new Error('source failed');
  const v = { a: frame(0), b: frame(1) };
  s.run(({ cold, expectObservable }) => {
    expectObservable(cold('a-b-#', v, boom).pipe(observeStage('x', identity, m))).toBe('a-b-#', v, boom);
    const failing: OperatorFunction<PipelineMsg, PipelineMsg> = map((msg) => { if (msg.kind === 'frame' && msg.meta.seq === 1) throw new Error('stage failed'); return msg; });
    expectObservable(cold('a-b-a|', v).pipe(observeStage('y', failing, m))).toBe('a-#', v, new Error('stage failed'));
  });
  assert.equal(await values(m, 'emotion_stream_frames_in_total'), { 'stage="x"': 2, 'stage="y"': 2 });
  assert.equal(await values(m, 'emotion_stream_frames_out_total'), { 'stage="x"': 2, 'stage="y"': 1 });
});

test('completion propagates; a frame the operator swallows counts in but not out', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { a: frame(0), b: frame(1), c: frame(2) };
  const dropOdd: OperatorFunction<PipelineMsg, PipelineMsg> = filter((msg) => msg.kind !== 'frame' || msg.meta.seq % 2 === 0);
  s.run(({ cold, expectObservable }) => {
    expectObservable(cold('a-b-c|', v).pipe(observeStage('x', dropOdd, m, { now: () => s.now() }))).toBe('a---c|', v);
  });
  assert.equal(await values(m, 'emotion_stream_frames_in_total'), { 'stage="x"': 3 });
  assert.equal(await values(m, 'emotion_stream_frames_out_total'), { 'stage="x"': 2 });
});

test('unsubscribing unsubscribes from the source and the operator', () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { a: frame(0), b: frame(1), c: frame(2) };
  s.run(({ hot, expectObservable, expectSubscriptions }) => {
    const source = hot('-a-b-c-|', v);
    expectObservable(source.pipe(observeStage('x', delay(1), m)), '^---!').toBe('--a-', v);
    expectSubscriptions(source.subscriptions).toBe('^---!');
  });
});

test('maxTracked bounds the in-flight timings: the oldest is forgotten and goes out without a latency', async () => {
  const s = newScheduler();
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const v = { a: frame(0), b: frame(1), c: frame(2) };
  s.run(({ cold, expectObservable }) => {
    // All three are in flight at once (delay 5) but only two timings are kept.
    expectObservable(cold('abc|', v).pipe(observeStage('x', delay(5), m, { now: () => s.now(), maxTracked: 2 }))).toBe('-----ab(c|)', v);
  });
  assert.equal(await values(m, 'emotion_stream_frames_out_total'), { 'stage="x"': 3 });
  assert.equal(await values(m, 'emotion_stream_stage_latency_seconds_count'), { 'stage="x"': 2 });
});

test('each subscription keeps its own timings', async () => {
  const m = new WorkerMetrics({ service: 't', defaultMetrics: false });
  const wrapped = of(frame(0)).pipe(observeStage('x', identity, m));
  wrapped.subscribe();
  wrapped.subscribe();
  assert.equal(await values(m, 'emotion_stream_frames_in_total'), { 'stage="x"': 2 });
  assert.equal(await values(m, 'emotion_stream_stage_latency_seconds_count'), { 'stage="x"': 2 });
});

test.run();
