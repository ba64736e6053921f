import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import { ReservedTrackIds } from '../../../pipeline/tracking/reserved-track-ids.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';

test('ids come from blocks reserved on the shared counter: a second holder (a restarted worker) never repeats one', async () => {
  const bus = new InMemoryBus();
  try {
    const reserve = (count: number) => bus.counters.increment('stream:s1:track-ids', count);
    const first = new ReservedTrackIds(reserve, 8);
    await first.ensure(2);
    const a = Array.from({ length: 7 }, () => first.next());
    await first.ensure(2); // 1 left: a new block
    const b = [first.next(), first.next()];
    const restarted = new ReservedTrackIds(reserve, 8);
    await restarted.ensure(2);
    const c = [restarted.next(), restarted.next()];
    const all = [...a, ...b, ...c];
    assert.equal(a, [1, 2, 3, 4, 5, 6, 7]);
    assert.is(new Set(all).size, all.length, 'no id twice');
    assert.ok(all.every((id, i) => i === 0 || id > all[i - 1]), 'ids only grow');
  } finally {
    await bus.close();
  }
});

test('next() before any block is reserved is an internal error, not a made-up id', () => {
  const ids = new ReservedTrackIds(async () => 64, 64);
  try {
    ids.next();
    assert.unreachable('no block yet');
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_INTERNAL', String(err));
  }
});

test.run();
