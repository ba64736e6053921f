import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../pipeline/logger.ts';
import { EmotionStreamError } from '../../common/errors.ts';

function capture(): { stream: Writable; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

test('an error logged as { err } keeps its stack and the cause chain', () => {
  const { stream, lines } = capture();
  const logger = createLogger({ level: 'info', destination: stream });
  const root = new Error('ECONNREFUSED 127.0.0.1:6379');
  const err = new EmotionStreamError('ERR_BUS', 'cannot reach Redis', { cause: new Error('connect failed', { cause: root }) });
  logger.child({ stage: 'capture' }).warn({ err }, 'poll failed');
  assert.is(lines.length, 1);
  const logged = lines[0].err;
  assert.is(logged.type, 'EmotionStreamError');
  assert.is(logged.code, 'ERR_BUS');
  assert.ok(logged.message.includes('cannot reach Redis'));
  assert.ok(logged.message.includes('connect failed'), `the cause's message: ${logged.message}`);
  assert.ok(logged.message.includes('ECONNREFUSED'), `the cause's cause: ${logged.message}`);
  assert.match(logged.stack, /caused by: Error: connect failed/);
  assert.match(logged.stack, /caused by: Error: ECONNREFUSED/);
  assert.is(lines[0].stage, 'capture');
});

test('a thrown value that is not an Error is logged as it is', () => {
  const { stream, lines } = capture();
  createLogger({ destination: stream }).error({ err: 'plain string' }, 'odd throw');
  assert.is(lines[0].err, 'plain string');
});

test.run();
