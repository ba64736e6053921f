import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisBus } from '../../../pipeline/bus/redis-bus.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { createLogger } from '../../../pipeline/logger.ts';
import { sleep, waitFor } from './bus-contract.ts';
import { dropKeys, REDIS_URL, uniquePrefix } from './fixtures/redis-env.ts';
import { freePort, TestRedisServer } from '../../helpers/redis-server.ts';

/** Bus logs stay quiet unless LOG_LEVEL asks for them (they help when a fault test fails). */
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent', name: 'bus-faults' });

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('a Redis SIGKILL + restart mid-stream loses no job; consumers and subscriber carry on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'es-redis-'));
  const server = await TestRedisServer.start(dir);
  const bus = await RedisBus.connect({ url: server.url, prefix: uniquePrefix(), logger, lockDurationMs: 5000, stalledIntervalMs: 1000 });
  try {
    const q = bus.queue<number>('stream');
    const topic = bus.topic<{ i: number }>('progress');
    const handled = new Map<string, number>();
    // Jobs first taken before Redis was back: one in hand when Redis died may be redone once its
    // lock expires (at-least-once); a job taken after the restart has no reason to run twice.
    const takenBeforeRestart = new Set<string>();
    let redisBack = false;
    const consumers = 2;
    const concurrency = 2;
    for (let i = 0; i < consumers; i++) {
      q.consume(async (job) => {
        if (!handled.has(job.id) && !redisBack) takenBeforeRestart.add(job.id);
        handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
        await sleep(5);
      }, { concurrency });
    }
    const heard: number[] = [];
    await topic.subscribe((m) => { heard.push(m.i); });

    const total = 120;
    const killAt = 40;
    let restarted: Promise<void> | undefined;
    // Adds during the outage wait for the reconnect, forever: a restart that fails must end the test.
    let restartFailed: Promise<never> = new Promise(() => undefined);
    for (let i = 0; i < total; i++) {
      if (i === killAt) {
        restarted = (async () => {
          await server.kill();
          await sleep(500);
          await server.launch();
          redisBack = true;
        })();
        restartFailed = restarted.then(() => new Promise<never>(() => undefined));
      }
      await Promise.race([q.add(`job-${i}`, i), restartFailed]);
      await Promise.race([topic.publish({ i }), restartFailed]);
      await sleep(5);
    }
    await restarted;
    await waitFor(() => handled.size === total, `all ${total} jobs handled (have ${handled.size})`, 30_000);
    const ids = Array.from({ length: total }, (_, i) => `job-${i}`);
    assert.equal([...handled.keys()].sort(), ids.sort());
    for (const [id, n] of handled) {
      const before = takenBeforeRestart.has(id);
      assert.ok(n === 1 || (n === 2 && before), `${id} handled ${n} times (first taken ${before ? 'before' : 'after'} the restart)`);
    }
    const redone = [...handled].filter(([, n]) => n > 1).map(([id]) => id);
    assert.ok(redone.length <= consumers * concurrency, `only jobs in hand when Redis died may be redone, yet ${redone.length} were: ${redone.join(', ')}`);
    assert.ok(heard.some((i) => i < killAt), 'subscriber heard messages before the kill');
    // Pub/sub is at-most-once across an outage: publish until the re-subscribed handler hears one.
    await waitFor(async () => {
      await topic.publish({ i: -1 });
      await sleep(50);
      return heard.includes(-1);
    }, 'the subscriber to hear a message after the restart', 15_000);
    // Shutting down while Redis is down (consumers still open) must not wait for it forever.
    await server.kill();
    const closeStarted = Date.now();
    await bus.close();
    assert.ok(Date.now() - closeStarted < 5000, `bus.close() with Redis down took ${Date.now() - closeStarted} ms`);
  } finally {
    await bus.close();
    await server.kill();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a SIGKILLed consumer's jobs are taken over by another consumer within seconds", async () => {
  const prefix = uniquePrefix();
  const fixture = fileURLToPath(new URL('./fixtures/stuck-consumer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, REDIS_URL, PREFIX: prefix, QUEUE: 'stuck', LOCK_MS: '2000', STALLED_MS: '1000', CONCURRENCY: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const bus = await RedisBus.connect({ url: REDIS_URL, prefix, logger, lockDurationMs: 2000, stalledIntervalMs: 1000 });
  try {
    await waitFor(() => out.includes('ready') || child.exitCode !== null, 'the child consumer to start', 20_000);
    assert.ok(out.includes('ready'), `child consumer failed: ${err}`);
    const q = bus.queue<number>('stuck');
    for (let i = 0; i < 3; i++) await q.add(`stuck/${i}`, i);
    await waitFor(() => (out.match(/^taken /gm) ?? []).length === 3, 'the child to take 3 jobs', 10_000);
    await kill(child);
    const killedAt = Date.now();
    const done: string[] = [];
    const consumer = q.consume(async (job) => { done.push(job.id); }, { concurrency: 3 });
    await waitFor(() => done.length === 3, "the dead consumer's 3 jobs to be redone", 15_000);
    const tookMs = Date.now() - killedAt;
    assert.equal(done.sort(), ['stuck/0', 'stuck/1', 'stuck/2']);
    assert.ok(tookMs < 10_000, `taken over in ${tookMs} ms`);
    await consumer.close();
  } finally {
    await kill(child);
    await bus.close();
    await dropKeys(REDIS_URL, prefix);
  }
});

test('connect to a port where nothing listens fails with ERR_BUS within 5 s, password redacted', async () => {
  const port = await freePort();
  const started = Date.now();
  try {
    await RedisBus.connect({ url: `redis://app:hunter2-secret@127.0.0.1:${port}/0`, prefix: uniquePrefix() });
    assert.unreachable('connect must fail');
  } catch (err) {
    const tookMs = Date.now() - started;
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_BUS', String(err));
    assert.ok(tookMs < 5000, `failed after ${tookMs} ms`);
    const message = (err as Error).message;
    assert.not.ok(message.includes('hunter2'), message);
    assert.ok(message.includes(`cannot reach Redis at redis://app:***@127.0.0.1:${port}/0`), message);
    assert.not.ok(message.includes('\n'), 'one line');
  }
});

test('rediss:// speaks TLS: against a plain-text Redis it fails with ERR_BUS instead of connecting', async () => {
  const plain = new URL(REDIS_URL);
  try {
    await RedisBus.connect({ url: `rediss://${plain.host}`, prefix: uniquePrefix(), connectTimeoutMs: 1500 });
    assert.unreachable('a TLS client must not get through to a plain-text server');
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_BUS', String(err));
  }
});

test.run();
