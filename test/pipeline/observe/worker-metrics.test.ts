import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import type { Logger } from '../../../pipeline/logger.ts';
import { register as globalRegister } from 'prom-client';
import { METRIC_NAMES, STAGE_LATENCY_BUCKETS, WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses Prometheus text format samples (our label values hold no escaped quotes). */
function parse(text: string): Sample[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    return { name: m[1], labels, value: Number(m[3]) };
  });
}

/** The one sample named `name` whose labels include `labels`; fails when there is not exactly one. */
function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.is(hits.length, 1, `${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0].value;
}

function captureLogs(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: pino<never>({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s)); } }) };
}

test('counters, histogram and the service label render under the exact names', async () => {
  const m = new WorkerMetrics({ service: 'detector' });
  m.frameIn('detect');
  m.frameIn('detect');
  m.frameOut('detect', 4);
  m.frameOut('detect');
  m.dropped('cam0', 3);
  m.dropped('cam1');
  m.error('detect', 'ERR_DETECT');
  m.error('detect', 'ERR_DETECT');
  m.error('detect', 'ERR_FRAME_MISSING');
  const text = await m.render();
  const s = parse(text);

  assert.is(sample(s, METRIC_NAMES.framesIn, { stage: 'detect', service: 'detector' }), 2);
  assert.is(sample(s, 'emotion_stream_frames_out_total', { stage: 'detect' }), 2);
  assert.is(sample(s, 'emotion_stream_frames_dropped_total', { camera: 'cam0' }), 3);
  assert.is(sample(s, 'emotion_stream_frames_dropped_total', { camera: 'cam1' }), 1);
  assert.is(sample(s, 'emotion_stream_errors_total', { stage: 'detect', code: 'ERR_DETECT' }), 2);
  assert.is(sample(s, 'emotion_stream_errors_total', { stage: 'detect', code: 'ERR_FRAME_MISSING' }), 1);
  // Only the output with a latency is observed: 4 ms lands in the 5 ms bucket, not the 2.5 ms one.
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_count', { stage: 'detect' }), 1);
  assert.ok(Math.abs(sample(s, 'emotion_stream_stage_latency_seconds_sum', { stage: 'detect' }) - 0.004) < 1e-9);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'detect', le: '0.0025' }), 0);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'detect', le: '0.005' }), 1);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'detect', le: '+Inf' }), 1);

  assert.match(text, '# TYPE emotion_stream_frames_in_total counter');
  assert.match(text, '# TYPE emotion_stream_errors_total counter');
  assert.match(text, '# TYPE emotion_stream_stage_latency_seconds histogram');
  assert.match(text, '# TYPE emotion_stream_queue_depth gauge');
  // Every sample, default process metrics included, carries the service label.
  assert.ok(s.length > 20);
  for (const x of s) assert.is(x.labels.service, 'detector', `${x.name} lacks service="detector"`);
  assert.ok(s.some((x) => x.name === 'process_cpu_user_seconds_total'), 'default process metrics are collected');
  assert.ok(s.some((x) => x.name === 'nodejs_eventloop_lag_seconds'), 'default nodejs metrics are collected');
});

test('latency buckets span 1 ms .. 2 s; bad latencies are not observed', async () => {
  assert.is(STAGE_LATENCY_BUCKETS[0], 0.001);
  assert.is(STAGE_LATENCY_BUCKETS[STAGE_LATENCY_BUCKETS.length - 1], 2);
  const m = new WorkerMetrics({ service: 'x', defaultMetrics: false });
  m.frameOut('classify', 1500);
  m.frameOut('classify', Number.NaN);
  m.frameOut('classify', -1);
  const s = parse(await m.render());
  assert.is(sample(s, 'emotion_stream_frames_out_total', { stage: 'classify' }), 3);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_count', { stage: 'classify' }), 1);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'classify', le: '1' }), 0);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'classify', le: '2' }), 1);
  assert.is(sample(s, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'classify', le: '0.001' }), 0);
});

test('own registry: two instances never share values, the global registry stays empty', async () => {
  const a = new WorkerMetrics({ service: 'a' });
  const b = new WorkerMetrics({ service: 'b' });
  a.frameIn('detect');
  a.frameIn('detect');
  b.frameIn('detect');
  assert.is(sample(parse(await a.render()), METRIC_NAMES.framesIn, { stage: 'detect', service: 'a' }), 2);
  assert.is(sample(parse(await b.render()), METRIC_NAMES.framesIn, { stage: 'detect', service: 'b' }), 1);
  assert.not.ok((await globalRegister.metrics()).includes('emotion_stream_'));
  assert.not.ok((await globalRegister.metrics()).includes('process_cpu'));
});

test('defaultMetrics: false leaves the process metrics out', async () => {
  const text = await new WorkerMetrics({ service: 'x', defaultMetrics: false }).render();
  assert.not.ok(text.includes('process_cpu_user_seconds_total'));
  assert.ok(text.includes('emotion_stream_frames_in_total'));
});

test('queue depth is read at scrape time from the registered functions', async () => {
  const m = new WorkerMetrics({ service: 'x', defaultMetrics: false });
  let depth = 5;
  let calls = 0;
  m.trackQueueDepth('detect', async () => { calls += 1; return depth; });
  m.trackQueueDepth('classify', () => Promise.resolve(0));
  assert.is(calls, 0, 'nothing is read before a scrape');
  assert.is(sample(parse(await m.render()), 'emotion_stream_queue_depth', { queue: 'detect' }), 5);
  depth = 7;
  const s = parse(await m.render());
  assert.is(sample(s, 'emotion_stream_queue_depth', { queue: 'detect' }), 7);
  assert.is(sample(s, 'emotion_stream_queue_depth', { queue: 'classify' }), 0);
  assert.is(calls, 2);

  m.trackQueueDepth('detect', async () => 9); // re-registering replaces
  assert.is(sample(parse(await m.render()), 'emotion_stream_queue_depth', { queue: 'detect' }), 9);
  m.untrackQueueDepth('detect');
  assert.is(parse(await m.render()).filter((x) => x.labels.queue === 'detect').length, 0);
});

test('a failing, hanging or non-numeric depth function is logged and skipped; the scrape goes on', async () => {
  const { logger, lines } = captureLogs();
  const m = new WorkerMetrics({ service: 'x', defaultMetrics: false, depthTimeoutMs: 50, logger });
  let fail = true;
  m.trackQueueDepth('good', async () => 3);
  m.trackQueueDepth('flaky', async () => { if (fail) throw new Error('redis down'); return 4; });
  m.trackQueueDepth('sync-throw', () => { throw new Error('not even a promise'); });
  m.trackQueueDepth('hangs', () => new Promise<number>(() => {}));
  m.trackQueueDepth('nan', async () => Number.NaN);

  // A hanging depth function is cut off by depthTimeoutMs: without that, render never resolves.
  const s = parse(await m.render());
  assert.is(sample(s, 'emotion_stream_queue_depth', { queue: 'good' }), 3);
  assert.equal(s.filter((x) => x.name === 'emotion_stream_queue_depth').map((x) => x.labels.queue), ['good']);
  assert.equal(lines.map((l) => l.queue).sort(), ['flaky', 'hangs', 'nan', 'sync-throw']);
  assert.ok(lines.every((l) => l.level === 40 && typeof (l.err as { message?: unknown })?.message === 'string'));
  assert.ok(lines.some((l) => l.queue === 'flaky' && (l.err as { message?: unknown }).message === 'redis down'));

  // A queue that recovers shows up again; one whose depth was read before and now fails is not left at its stale value.
  fail = false;
  assert.is(sample(parse(await m.render()), 'emotion_stream_queue_depth', { queue: 'flaky' }), 4);
  fail = true;
  assert.is(parse(await m.render()).filter((x) => x.labels.queue === 'flaky').length, 0);
});

test('contentType is the Prometheus text format', () => {
  const m = new WorkerMetrics({ service: 'x', defaultMetrics: false });
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

test.run();
