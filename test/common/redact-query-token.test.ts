import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redactQueryToken } from '../../common/redact-query-token.ts';

test('redactQueryToken hides every token and access_token value, whatever its case, and keeps the rest', () => {
  assert.is(redactQueryToken('/events?token=s3cret'), '/events?token=***');
  assert.is(redactQueryToken('/events?cameras=a&token=s3cret&v=2'), '/events?cameras=a&token=***&v=2');
  assert.is(redactQueryToken('/x?Token=a&TOKEN=b#token=frag'), '/x?Token=***&TOKEN=***#token=frag');
  assert.is(redactQueryToken('ws://host:8080/events?access_token=abc'), 'ws://host:8080/events?access_token=***');
  assert.is(redactQueryToken('/x?token='), '/x?token=***');
});

test('redactQueryToken leaves lookalikes and token-free targets alone', () => {
  assert.is(redactQueryToken('/cameras'), '/cameras');
  assert.is(redactQueryToken('/cameras?tokens=1&mytoken=2'), '/cameras?tokens=1&mytoken=2');
  assert.is(redactQueryToken('/token=path?a=1'), '/token=path?a=1');
});

test.run();
