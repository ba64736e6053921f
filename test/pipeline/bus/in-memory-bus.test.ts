import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import { connectBus } from '../../../pipeline/bus/connect-bus.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { busContract, captureLogs, sleep } from './bus-contract.ts';

busContract('in-memory', async () => new InMemoryBus({ retryDelayMs: 20 }));

test('a job that keeps failing is given up after `attempts` tries, logged with its id and queue', async () => {
  const { logger, lines } = captureLogs();
  const bus = new InMemoryBus({ attempts: 3, retryDelayMs: 5, logger });
  const seen: number[] = [];
  const consumer = bus.queue<string>('q').consume(async (job) => {
    seen.push(job.attempt);
    throw new Error('always');
  }, { concurrency: 1 });
  await bus.queue<string>('q').add('x', 'x');
  await sleep(200);
  assert.equal(seen, [1, 2, 3]);
  assert.is(await bus.queue('q').depth(), 0);
  const errors = lines.filter((l) => l.level === 50);
  assert.is(errors.length, 1);
  assert.is(errors[0].job, 'x');
  assert.is(errors[0].queue, 'q');
  assert.is((errors[0].err as { message: string }).message, 'always', 'the error itself is logged (message, stack, cause)');
  await consumer.close();
  await bus.close();
});

test('close(true) returns at once while a job is in hand', async () => {
  const bus = new InMemoryBus();
  const q = bus.queue<string>('q');
  let inHand = false;
  const consumer = q.consume(async () => { inHand = true; await new Promise(() => undefined); }, { concurrency: 1 });
  await q.add('stuck', 's');
  while (!inHand) await sleep(5);
  await consumer.close(true);
  await q.add('next', 'n');
  await sleep(20);
  assert.is(await q.depth(), 1, 'a closed consumer takes nothing new');
  await bus.close();
});

test('a closed bus refuses new jobs; close twice is safe', async () => {
  const bus = new InMemoryBus();
  await bus.close();
  await bus.close();
  try {
    await bus.queue('q').add('a', 1);
    assert.unreachable('add after close');
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_BUS');
  }
});

test('connectBus: memory gives an InMemoryBus; redis without a url is ERR_CONFIG', async () => {
  const bus = await connectBus({ transport: 'memory' });
  assert.is(bus.transport, 'memory');
  await bus.close();
  try {
    await connectBus({ transport: 'redis' });
    assert.unreachable('redis without url');
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_CONFIG', String(err));
  }
});

test.run();
