import { pino, type Logger } from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PoisonMessageError, type Bus, type BusJob } from '../../../pipeline/bus/transport.ts';

/** Resolves when `cond` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise opened from outside: handlers park on `promise` until the test calls `open()`. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

/** A logger (warn and up) whose lines land in `lines`, parsed. */
export function captureLogs(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { logger, lines };
}

/**
 * The behaviour every Bus implementation must show, as one uvu suite named `name`. `makeBus`
 * gives a fresh, empty bus per test (closed after it).
 */
export function busContract(name: string, makeBus: () => Promise<Bus>): void {
  const s = suite(`${name} bus contract`);
  let bus: Bus;
  let opened: Bus | undefined; // unset when makeBus failed: uvu then still runs after.each
  s.before.each(async () => {
    opened = undefined;
    bus = await makeBus();
    opened = bus;
  });
  s.after.each(async () => { await opened?.close(); });

  s('FIFO delivery with concurrency 1; depth counts waiting jobs; ids come back as given', async () => {
    const q = bus.queue<{ n: number }>('fifo');
    const ids = Array.from({ length: 10 }, (_, n) => `cam:1/${n}`); // ':' and '/' like real ids
    for (const [n, id] of ids.entries()) await q.add(id, { n });
    assert.is(await q.depth(), 10);
    const seen: BusJob<{ n: number }>[] = [];
    const consumer = q.consume(async (job) => { seen.push(job); }, { concurrency: 1 });
    await waitFor(() => seen.length === 10, '10 jobs');
    assert.equal(seen.map((j) => j.id), ids);
    assert.equal(seen.map((j) => j.data.n), ids.map((_, n) => n));
    assert.ok(seen.every((j) => j.attempt === 1));
    await waitFor(async () => (await q.depth()) === 0, 'empty queue');
    await consumer.close();
  });

  s('concurrency N runs N jobs at once, never more', async () => {
    const q = bus.queue<number>('conc');
    const g = gate();
    const taken: string[] = [];
    let inHand = 0;
    let most = 0;
    let done = 0;
    const consumer = q.consume(async (job) => {
      taken.push(job.id);
      inHand += 1;
      most = Math.max(most, inHand);
      await g.promise;
      inHand -= 1;
      done += 1;
    }, { concurrency: 3 });
    for (let i = 0; i < 7; i++) await q.add(`c-${i}`, i);
    await waitFor(() => inHand === 3, '3 jobs in hand');
    // A second consumer drains the other 4 while the first is full: a first consumer with room for
    // a 4th job would have competed for them, so once all 7 are taken its share proves the bound.
    const byOther: string[] = [];
    const other = q.consume(async (job) => { byOther.push(job.id); }, { concurrency: 1 });
    await waitFor(() => taken.length + byOther.length === 7, 'all 7 jobs taken');
    assert.equal(taken, ['c-0', 'c-1', 'c-2'], 'a 4th job must not start while 3 are in hand');
    assert.equal(byOther, ['c-3', 'c-4', 'c-5', 'c-6']);
    assert.is(inHand, 3);
    g.open();
    await waitFor(() => done === 3, 'the 3 held jobs done');
    assert.is(most, 3);
    await Promise.all([other.close(), consumer.close()]);
  });

  s('adding an id that is waiting or in hand is a no-op', async () => {
    const q = bus.queue<string>('dedup');
    await q.add('a/1', 'first');
    await q.add('a/1', 'second');
    await q.add('7', 'numeric id'); // BullMQ rejects integer-looking custom ids unless mapped
    await q.add('7', 'numeric again');
    assert.is(await q.depth(), 2);
    const g = gate();
    const seen: string[] = [];
    let inHand = 0;
    const consumer = q.consume(async (job) => {
      inHand += 1;
      seen.push(`${job.id}=${job.data}`);
      await g.promise;
    }, { concurrency: 2 });
    await waitFor(() => inHand === 2, 'both jobs in hand');
    await q.add('a/1', 'while active');
    await q.add('7', 'while active');
    // Jobs are taken in the order added: had either re-add been queued, it would start before this one.
    // (Not an id like 'marker': BullMQ keeps keys of its own under such names.)
    await q.add('a/2', 'after');
    g.open();
    await waitFor(() => seen.includes('a/2=after'), 'the job added after the re-adds');
    assert.equal(seen.slice(0, 2).sort(), ['7=numeric id', 'a/1=first']);
    assert.equal(seen.slice(2), ['a/2=after']);
    assert.is(await q.depth(), 0);
    await consumer.close();
  });

  s('a rejecting handler has its job retried (attempt 2 seen)', async () => {
    const q = bus.queue<string>('retry');
    const attempts: number[] = [];
    let depthAfter: number | undefined;
    const consumer = q.consume(async (job) => {
      // With one job at a time, r-2 runs only once attempt 2 is settled: a further retry
      // would then be counted by depth() (delayed jobs count), so none pending means none coming.
      if (job.id === 'r-2') { depthAfter = await q.depth(); return; }
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('transient failure');
    }, { concurrency: 1 });
    await q.add('r-1', 'x');
    await waitFor(() => attempts.length === 2, 'the retry');
    await q.add('r-2', 'after');
    await waitFor(() => depthAfter !== undefined, 'the job added after the retry');
    assert.equal(attempts, [1, 2]);
    assert.is(depthAfter, 0, 'no third attempt pending once attempt 2 succeeded');
    await consumer.close();
  });

  s('a PoisonMessageError fails the job at once (no retry)', async () => {
    const q = bus.queue<string>('poison');
    let calls = 0;
    let after = 0;
    let depthDuringAfter: number | undefined;
    const consumer = q.consume(async (job) => {
      if (job.id === 'after') {
        // One job at a time: the poison job's failure is recorded before this one starts, and a
        // retry would sit in the queue now (depth() counts jobs waiting out a retry delay).
        depthDuringAfter = await q.depth();
        after += 1;
        return;
      }
      calls += 1;
      throw new PoisonMessageError('malformed');
    }, { concurrency: 1 });
    await q.add('p-1', 'bad');
    await q.add('after', 'good'); // the queue goes on past the poison message
    await waitFor(() => after === 1, 'the job after the poison one');
    assert.is(calls, 1);
    assert.is(depthDuringAfter, 0, 'no retry of the poison job waiting');
    assert.is(await q.depth(), 0);
    await consumer.close();
  });

  s('two consumers share a queue; every job is handled exactly once', async () => {
    const q = bus.queue<number>('compete');
    const byConsumer: [string[], string[]] = [[], []];
    const handler = (who: 0 | 1) => async (job: BusJob<number>) => {
      byConsumer[who].push(job.id);
      await sleep(25);
    };
    const consumers = [q.consume(handler(0), { concurrency: 1 }), q.consume(handler(1), { concurrency: 1 })];
    await sleep(200); // both consumers polling before the jobs arrive
    const ids = Array.from({ length: 24 }, (_, i) => `j-${i}`);
    for (const [i, id] of ids.entries()) await q.add(id, i);
    await waitFor(() => byConsumer[0].length + byConsumer[1].length >= ids.length, 'all jobs handled');
    await sleep(200);
    const all = [...byConsumer[0], ...byConsumer[1]];
    assert.is(all.length, ids.length, 'no job handled twice');
    assert.equal([...new Set(all)].sort(), [...ids].sort());
    assert.ok(byConsumer[0].length > 0 && byConsumer[1].length > 0, `both consumers got a share (${byConsumer[0].length}/${byConsumer[1].length})`);
    await Promise.all(consumers.map((c) => c.close()));
  });

  s('closing a consumer waits for the jobs in hand and takes no new ones', async () => {
    const q = bus.queue<string>('drain');
    const g = gate();
    const started: string[] = [];
    const finished: string[] = [];
    const consumer = q.consume(async (job) => {
      started.push(job.id);
      await g.promise;
      await sleep(50);
      finished.push(job.id);
    }, { concurrency: 1 });
    await q.add('first', 'a');
    await waitFor(() => started.length === 1, 'first job in hand');
    await q.add('second', 'b');
    let closed = false;
    const closing = consumer.close().then(() => { closed = true; });
    await sleep(250);
    assert.not.ok(closed, 'close() must wait for the job in hand');
    g.open();
    await closing;
    assert.equal(finished, ['first']);
    assert.equal(started, ['first']);
    assert.is(await q.depth(), 1, 'the second job is left for another consumer');
  });

  s('topic fan-out: every subscriber gets every message; a throwing subscriber harms no one', async () => {
    const t = bus.topic<{ n: number }>('fan');
    const a: number[] = [];
    const b: number[] = [];
    await t.subscribe((m) => { a.push(m.n); });
    await t.subscribe(() => { throw new Error('bad subscriber'); });
    await t.subscribe((m) => { b.push(m.n); });
    for (let n = 1; n <= 3; n++) await t.publish({ n });
    await waitFor(() => a.length === 3 && b.length === 3, 'both subscribers to get 3 messages');
    assert.equal(a, [1, 2, 3]);
    assert.equal(b, [1, 2, 3]);
  });

  s('unsubscribe stops delivery to that subscriber only', async () => {
    const t = bus.topic<string>('unsub');
    const a: string[] = [];
    const b: string[] = [];
    const unsubscribeA = await t.subscribe((m) => { a.push(m); });
    await t.subscribe((m) => { b.push(m); });
    await t.publish('one');
    await waitFor(() => a.length === 1 && b.length === 1, 'first message');
    await unsubscribeA();
    await t.publish('two');
    // One publish reaches every subscriber together: once b has it, a would have had it too.
    await waitFor(() => b.length === 2, 'second message to b');
    assert.equal(a, ['one']);
    assert.equal(b, ['one', 'two']);
  });

  s('frames: put, get, delete, TTL expiry', async () => {
    const pixels = Buffer.from([0, 1, 2, 250, 255]);
    assert.is(await bus.frames.get('missing'), null);
    await bus.frames.put('cam-1/1', pixels, 60_000);
    const got = await bus.frames.get('cam-1/1');
    assert.ok(got && Buffer.compare(got, pixels) === 0, 'same bytes back');
    await bus.frames.delete('cam-1/1');
    assert.is(await bus.frames.get('cam-1/1'), null);
    await bus.frames.put('cam-1/2', pixels, 200);
    assert.ok(await bus.frames.get('cam-1/2'), 'present before its TTL');
    await sleep(400);
    assert.is(await bus.frames.get('cam-1/2'), null, 'gone after its TTL');
  });

  s('counters and values', async () => {
    const c = bus.counters;
    assert.is(await c.get('stream:s1:done'), 0);
    assert.is(await c.increment('stream:s1:done'), 1);
    assert.is(await c.increment('stream:s1:done', 5), 6);
    assert.is(await c.get('stream:s1:done'), 6);
    assert.is(await c.getValue('stream:s1:emitted'), null);
    await c.setValue('stream:s1:emitted', '41');
    assert.is(await c.getValue('stream:s1:emitted'), '41');
    await c.delete('stream:s1:done');
    await c.delete('stream:s1:emitted');
    assert.is(await c.get('stream:s1:done'), 0);
    assert.is(await c.getValue('stream:s1:emitted'), null);
  });

  s('counters and values written with a TTL vanish after it', async () => {
    const c = bus.counters;
    assert.is(await c.increment('stream:s2:done', 1, 60_000), 1);
    assert.is(await c.increment('stream:s2:done', 2, 150), 3, 'an increment with a TTL still counts on');
    await c.setValue('stream:s2:closed', '{}', 150);
    await c.setValue('stream:s2:kept', 'x', 150);
    await c.setValue('stream:s2:kept', 'y');
    await waitFor(async () => (await c.get('stream:s2:done')) === 0 && (await c.getValue('stream:s2:closed')) === null, 'both names to expire');
    assert.is(await c.getValue('stream:s2:kept'), 'y', 'a value set again without a TTL has none');
    await c.delete('stream:s2:kept');
  });

  s.run();
}
