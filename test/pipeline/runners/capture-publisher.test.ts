import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { ReplaySubject } from 'rxjs';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisBus } from '../../../pipeline/bus/redis-bus.ts';
import { runCapturePublisher } from '../../../pipeline/runners/capture-publisher.ts';
import { streamKeys } from '../../../pipeline/runners/bus-envelope.ts';
import { WorkerMetrics, METRIC_NAMES } from '../../../pipeline/observe/worker-metrics.ts';
import { loadPipelineConfig } from '../../../config/load.ts';
import type { PipelineMsg } from '../../../pipeline/messages.ts';
import { TestRedisServer } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

// A test-owned Redis. Killing it would not exercise the poll's catch: the bus's commands wait out
// a restart (maxRetriesPerRequest: null). An error reply does: the done counter made a hash.
const tmp = tempDir('es-capture-publisher-');
const redis = await TestRedisServer.start(tmp.dir);
test.after(async () => {
  await redis.kill();
  tmp.cleanup();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a failing done-counter poll is logged (err, stream), counted, and retried until it works', async () => {
  const prefix = 'cp-poll';
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  }));
  const metrics = new WorkerMetrics({ service: 'capture', defaultMetrics: false });
  const bus = await RedisBus.connect({ url: redis.url, prefix });
  const raw = new Redis(redis.url);
  const messages = new ReplaySubject<PipelineMsg>(); // capture subscribes once its credit return is ready
  let streamId: string | undefined;
  let pollErrors = 0;
  try {
    const config = loadPipelineConfig({ overrides: { source: { type: 'file', path: '/not/read.mp4' }, cameraId: 'cam-poll' } });
    const done = runCapturePublisher({
      bus, config, frameTtlMs: 60_000, frameEncoding: { format: 'raw' }, logger, pollMs: 20,
      capture: () => messages.asObservable(),
      onPublished: (msg, id) => { if (msg.kind === 'stream-start') streamId = id; },
      onPollError: () => { pollErrors += 1; metrics.pollError('capture'); },
    });
    // The done counter is a hash from the start: every poll gets WRONGTYPE.
    const now = Date.now();
    messages.next({ kind: 'stream-start', v: 1, cameraId: 'cam-poll', source: 'test', width: 8, height: 8, fps: 10, startedAt: now });
    await waitFor(() => streamId !== undefined, 'the stream to start');
    const doneKey = `${prefix}:counter:${streamKeys.done(streamId!)}`;
    await raw.hset(doneKey, 'not', 'a counter');
    await waitFor(() => pollErrors >= 3, 'three failed polls');

    const warns = lines.filter((l) => l.level === 40);
    assert.is(warns.length, 1, 'a poll that keeps failing is logged once per window');
    assert.is(warns[0].stream, streamId);
    assert.is(warns[0].camera, 'cam-poll');
    assert.match(warns[0].err.message, /WRONGTYPE/);
    assert.ok(typeof warns[0].err.stack === 'string');
    const rendered = await metrics.render();
    const counted = Number(new RegExp(`^${METRIC_NAMES.pollErrors}\\{[^}]*stage="capture"[^}]*\\} (\\d+)`, 'm').exec(rendered)?.[1]);
    assert.ok(counted >= 3, `the worker metric counts every failed poll:\n${rendered}`);

    // Fixed: polling goes on, and capture still sees the stream closed.
    await raw.del(doneKey);
    await raw.set(`${prefix}:value:${streamKeys.closed(streamId!)}`, JSON.stringify({ streamId, lost: 0, frames: 0 }));
    messages.next({ kind: 'stream-end', v: 1, cameraId: 'cam-poll', frames: 0, reason: 'eof', endedAt: Date.now() });
    messages.complete();
    const summary = await done;
    assert.is(summary?.streamId, streamId);
    const after = pollErrors;
    await new Promise((r) => setTimeout(r, 100));
    assert.is(pollErrors, after, 'no failures once stopped');
  } finally {
    messages.complete();
    raw.disconnect();
    await bus.close();
  }
});

test.run();
