import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisBus } from '../../../pipeline/bus/redis-bus.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { TestRedisServer } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

// A test-owned Redis that requires a password, as a production one should.
const tmp = tempDir('es-redis-auth-');
const redis = await TestRedisServer.start(tmp.dir, ['--requirepass', 's3cret']);
test.after(async () => {
  await redis.kill();
  tmp.cleanup();
});

test('a password in the URL authenticates: queues, topics and frames work', async () => {
  const bus = await RedisBus.connect({ url: `redis://:s3cret@127.0.0.1:${redis.port}/0`, prefix: 'auth' });
  try {
    const got = new Promise<string>((resolve) => {
      bus.queue<string>('q').consume(async (job) => resolve(job.data), { concurrency: 1 });
    });
    await bus.queue<string>('q').add('one', 'hello');
    assert.is(await got, 'hello');
    await bus.frames.put('f', Buffer.from([1, 2, 3]), 5000);
    assert.equal([...(await bus.frames.get('f'))!], [1, 2, 3]);
  } finally {
    await bus.close();
  }
});

test('a wrong or missing password is one clear ERR_BUS error that does not show the password', async () => {
  for (const url of [`redis://:wrong-pass@127.0.0.1:${redis.port}`, `redis://127.0.0.1:${redis.port}`]) {
    const started = Date.now();
    try {
      const bus = await RedisBus.connect({ url, prefix: 'auth' });
      await bus.close();
      assert.unreachable(`connected to a password-protected Redis with ${url}`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err), String(err));
      assert.is(err.code, 'ERR_BUS');
      assert.not.match(err.message, 'wrong-pass');
      assert.match(err.message, /WRONGPASS|NOAUTH|auth/i);
      assert.ok(Date.now() - started < 10_000, 'fails fast');
    }
  }
});

test.run();
