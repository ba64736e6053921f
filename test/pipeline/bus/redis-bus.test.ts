import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisBus, fromJobId, toJobId } from '../../../pipeline/bus/redis-bus.ts';
import { connectBus } from '../../../pipeline/bus/connect-bus.ts';
import type { Bus } from '../../../pipeline/bus/transport.ts';
import { errorMessage } from '../../../common/errors.ts';
import { busContract, captureLogs, waitFor } from './bus-contract.ts';
import { dropKeys, REDIS_URL, uniquePrefix } from './fixtures/redis-env.ts';

/** A Redis bus on its own prefix whose close() also deletes its keys. */
async function makeBus(): Promise<Bus> {
  const prefix = uniquePrefix();
  const bus = await RedisBus.connect({ url: REDIS_URL, prefix, lockDurationMs: 5000, stalledIntervalMs: 2000 });
  return {
    transport: bus.transport,
    frames: bus.frames,
    counters: bus.counters,
    queue: (name) => bus.queue(name),
    topic: (name) => bus.topic(name),
    close: async () => {
      await bus.close();
      await dropKeys(REDIS_URL, prefix);
    },
  };
}

test(`Redis is reachable at ${REDIS_URL} (these tests need a running redis-server; REDIS_URL overrides)`, async () => {
  try {
    const bus = await RedisBus.connect({ url: REDIS_URL, prefix: uniquePrefix() });
    await bus.close();
  } catch (err) {
    assert.unreachable(`no Redis for the Redis bus tests: ${errorMessage(err)}`);
  }
});

test('job ids: caller ids map to BullMQ-safe ids and back', () => {
  for (const id of ['cam:1/2/detect', '42', '-3', '%3A', 'a%b:c', '%i42', '007', 'plain']) {
    const jobId = toJobId(id);
    assert.not.ok(jobId.includes(':'), jobId);
    assert.is.not(String(Number.parseInt(jobId, 10)), jobId);
    assert.is(fromJobId(jobId), id);
  }
  assert.is.not(toJobId('%3A'), toJobId(':'));
});

test('connectBus: redis transport gives a RedisBus; close twice is safe', async () => {
  const prefix = uniquePrefix();
  const bus = await connectBus({ transport: 'redis', redisUrl: REDIS_URL, prefix });
  assert.is(bus.transport, 'redis');
  await bus.counters.increment('n');
  await bus.close();
  await bus.close();
  await dropKeys(REDIS_URL, prefix);
});

test('completed job ids stay known: re-adding one after it completed is still a no-op', async () => {
  const bus = await makeBus();
  try {
    const q = bus.queue<number>('known');
    const handled: string[] = [];
    const consumer = q.consume(async (job) => { handled.push(job.id); }, { concurrency: 1 });
    await q.add('k/1', 1);
    await waitFor(() => handled.length === 1, 'the first job');
    await q.add('k/1', 1);
    // Jobs are taken in the order added: had the re-add been queued, it would run before this one.
    await q.add('k/2', 2);
    await waitFor(() => handled.includes('k/2'), 'the job added after the re-add');
    assert.equal(handled, ['k/1', 'k/2']);
    await consumer.close();
  } finally {
    await bus.close();
  }
});

test('a job that keeps failing is given up after `attempts` tries, logged with its id and queue', async () => {
  const { logger, lines } = captureLogs();
  const prefix = uniquePrefix();
  const bus = await RedisBus.connect({ url: REDIS_URL, prefix, logger, attempts: 2 });
  try {
    const q = bus.queue<number>('doomed');
    const seen: number[] = [];
    let depthAfter: number | undefined;
    const consumer = q.consume(async (job) => {
      // One job at a time, so cam:1/8 runs once the doomed job's last failure is recorded: a
      // third try would then be counted by depth() (delayed jobs count), so none pending means none coming.
      if (job.id === 'cam:1/8') { depthAfter = await q.depth(); return; }
      seen.push(job.attempt);
      throw new Error('always broken');
    }, { concurrency: 1 });
    await q.add('cam:1/7', 7);
    await waitFor(() => lines.some((l) => l.level === 50), 'the final failure to be logged');
    await q.add('cam:1/8', 8);
    await waitFor(() => depthAfter !== undefined, 'the job added after the final failure');
    assert.is(depthAfter, 0, 'no further try pending');
    assert.equal(seen, [1, 2]);
    const errors = lines.filter((l) => l.level === 50);
    assert.is(errors.length, 1);
    assert.is(errors[0].job, 'cam:1/7');
    assert.is(errors[0].queue, 'doomed');
    assert.is((errors[0].err as { message: string }).message, 'always broken');
    assert.is(await q.depth(), 0);
    await consumer.close();
  } finally {
    await bus.close();
    await dropKeys(REDIS_URL, prefix);
  }
});

test.run();
busContract('redis', makeBus);
