import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClientRequest } from '../../../pipeline/events/client-request.ts';
import { EmotionStreamError } from '../../../common/errors.ts';

function failure(text: string): string {
  try {
    parseClientRequest(text);
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_BAD_MESSAGE');
    return (err as Error).message;
  }
  throw new Error(`expected ${text} to be rejected`);
}

test('subscribe and unsubscribe parse', () => {
  assert.equal(parseClientRequest('{"type":"subscribe","cameras":["cam1","cam2"]}'), { type: 'subscribe', cameras: ['cam1', 'cam2'] });
  assert.equal(parseClientRequest('{"type":"unsubscribe","cameras":["*"]}'), { type: 'unsubscribe', cameras: ['*'] });
});

test('malformed requests are rejected with a message fit for the client', () => {
  assert.is(failure('{"type":'), 'message is not valid JSON');
  assert.is(failure('[1,2]'), 'message must be a JSON object');
  assert.is(failure('{"type":"subscrib","cameras":["a"]}'), 'unknown message type "subscrib"; expected "subscribe" or "unsubscribe"');
  assert.is(failure('{"type":"subscribe"}'), '"cameras" must be an array of 1..256 camera ids');
  assert.is(failure('{"type":"subscribe","cameras":[]}'), '"cameras" must be an array of 1..256 camera ids');
  assert.match(failure('{"type":"subscribe","cameras":["a",7]}'), 'non-empty strings');
  assert.match(failure('{"type":"subscribe","cameras":[""]}'), 'non-empty strings');
  assert.is(failure('{"type":"subscribe","cameras":["a"],"camera":"b"}'), 'unexpected field(s): camera');
});

test.run();
