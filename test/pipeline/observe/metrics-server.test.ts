import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { EmotionStreamError } from '../../../common/errors.ts';
import { startMetricsServer } from '../../../pipeline/observe/metrics-server.ts';
import { WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';

/** The value of the one sample line `name{labels} value` whose label set contains every `labels` pair. */
function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  const hits = text.split('\n').filter((line) => {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    return m !== null && m[1] === name && Object.entries(labels).every(([k, v]) => m[2].split(',').includes(`${k}="${v}"`));
  });
  assert.is(hits.length, 1, `${name}${JSON.stringify(labels)} in:\n${text}`);
  return Number(hits[0].split(' ').pop());
}

test('GET /metrics serves the registry in Prometheus text format on a free port', async () => {
  const metrics = new WorkerMetrics({ service: 'classifier' });
  metrics.frameIn('classify');
  metrics.frameOut('classify', 12);
  metrics.error('classify', 'ERR_CLASSIFY');
  metrics.dropped('cam7', 2);
  metrics.trackQueueDepth('es:classify', async () => 11);
  const server = await startMetricsServer({ port: 0, metrics });
  try {
    assert.ok(server.port > 0);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.is(sampleValue(text, 'emotion_stream_frames_in_total', { stage: 'classify', service: 'classifier' }), 1);
    assert.is(sampleValue(text, 'emotion_stream_frames_out_total', { stage: 'classify' }), 1);
    assert.is(sampleValue(text, 'emotion_stream_errors_total', { stage: 'classify', code: 'ERR_CLASSIFY' }), 1);
    assert.is(sampleValue(text, 'emotion_stream_frames_dropped_total', { camera: 'cam7' }), 2);
    assert.is(sampleValue(text, 'emotion_stream_stage_latency_seconds_count', { stage: 'classify' }), 1);
    assert.is(sampleValue(text, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'classify', le: '0.01' }), 0);
    assert.is(sampleValue(text, 'emotion_stream_stage_latency_seconds_bucket', { stage: 'classify', le: '0.025' }), 1);
    assert.is(sampleValue(text, 'emotion_stream_queue_depth', { queue: 'es:classify' }), 11);
    assert.ok(sampleValue(text, 'process_resident_memory_bytes', { service: 'classifier' }) > 0);

    // Scrapes are live: a later count shows up in the next scrape; a query string is ignored.
    metrics.frameIn('classify');
    const again = await (await fetch(`http://127.0.0.1:${server.port}/metrics?x=1`)).text();
    assert.is(sampleValue(again, 'emotion_stream_frames_in_total', { stage: 'classify' }), 2);
  } finally {
    await server.close();
  }
});

test('GET /healthz is 200 ok or 503; a throwing health check is 503', async () => {
  let healthy: boolean | 'throw' = true;
  const server = await startMetricsServer({
    port: 0,
    metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }),
    health: async () => { if (healthy === 'throw') throw new Error('bus lost'); return healthy; },
  });
  try {
    const url = `http://127.0.0.1:${server.port}/healthz`;
    let res = await fetch(url);
    assert.is(res.status, 200);
    assert.is((await res.text()).trim(), 'ok');
    healthy = false;
    res = await fetch(url);
    assert.is(res.status, 503);
    await res.text();
    healthy = 'throw';
    res = await fetch(url);
    assert.is(res.status, 503);
    await res.text();
  } finally {
    await server.close();
  }
  // Without a health function the worker is healthy while it serves.
  const plain = await startMetricsServer({ port: 0, metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }) });
  try {
    const res = await fetch(`http://127.0.0.1:${plain.port}/healthz`);
    assert.is(res.status, 200);
    assert.is((await res.text()).trim(), 'ok');
  } finally {
    await plain.close();
  }
});

test('everything else is 404', async () => {
  const server = await startMetricsServer({ port: 0, metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }) });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    for (const [method, path] of [['GET', '/'], ['GET', '/metricsx'], ['GET', '/events'], ['POST', '/metrics'], ['DELETE', '/healthz']]) {
      const res = await fetch(`${base}${path}`, { method });
      assert.is(res.status, 404, `${method} ${path}`);
      await res.text();
    }
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.is(head.status, 200);
  } finally {
    await server.close();
  }
});

test('a port in use is ERR_CONFIG naming the port and host', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  try {
    let caught: unknown;
    try {
      const s = await startMetricsServer({ port, host: '127.0.0.1', metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }) });
      await s.close();
    } catch (err) {
      caught = err;
    }
    assert.instance(caught, EmotionStreamError);
    const e = caught as EmotionStreamError;
    assert.is(e.code, 'ERR_CONFIG');
    assert.match(e.message, `metrics port ${port} on 127.0.0.1 is in use`);
    assert.is((e.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
    assert.equal(e.context.port, port);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('close() stops listening even with a keep-alive connection open, and can be called twice', async () => {
  const server = await startMetricsServer({ port: 0, metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }) });
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`); // undici keeps this connection alive
  await res.text();
  const started = Date.now();
  await Promise.all([server.close(), server.close()]);
  assert.ok(Date.now() - started < 2000, 'close() does not wait for the keep-alive timeout');
  let refused = false;
  await fetch(`http://127.0.0.1:${server.port}/metrics`).catch(() => { refused = true; });
  assert.ok(refused, 'nothing listens after close()');
  // The freed port can be bound again.
  const again = await startMetricsServer({ port: server.port, metrics: new WorkerMetrics({ service: 'x', defaultMetrics: false }) });
  assert.is(again.port, server.port);
  await again.close();
});

test.run();
