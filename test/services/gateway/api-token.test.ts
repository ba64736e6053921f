import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bearerToken, checkGatewayExposure, isLoopback, tokenMatches } from '../../../services/gateway/api-token.ts';

/** Just the parts of a request bearerToken reads. */
const request = (url: string, authorization?: string) => ({ url, headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

test('tokenMatches: equal tokens of any length match; anything else does not', () => {
  assert.ok(tokenMatches('s3cret', 's3cret'));
  const long = 'x'.repeat(10_000);
  assert.ok(tokenMatches(long, long));
  assert.ok(tokenMatches('päßwörd-✓', 'päßwörd-✓'));
  assert.not.ok(tokenMatches('s3cret', 's3cre'));
  assert.not.ok(tokenMatches('s3cre', 's3cret'));
  assert.not.ok(tokenMatches('S3cret', 's3cret'));
  assert.not.ok(tokenMatches(long, `${long}x`));
  assert.not.ok(tokenMatches('', 's3cret'));
  assert.not.ok(tokenMatches(undefined, 's3cret'));
});

test('tokenMatches: an empty configured token matches nothing, not even an empty one', () => {
  assert.not.ok(tokenMatches('', ''));
  assert.not.ok(tokenMatches('anything', ''));
});

test('bearerToken reads Authorization: Bearer only, never ?token= (the WebSocket alone takes that)', () => {
  assert.is(bearerToken(request('/cameras', 'Bearer abc.def')), 'abc.def');
  assert.is(bearerToken(request('/cameras', 'bearer   abc ')), 'abc');
  assert.is(bearerToken(request('/cameras?cameras=a&token=q%20t')), undefined);
  assert.is(bearerToken(request('/cameras?token=query', 'Bearer header')), 'header');
  assert.is(bearerToken(request('/cameras', 'Basic dXNlcjpwYXNz')), undefined);
  assert.is(bearerToken(request('/cameras', 'Bearer')), undefined);
  assert.is(bearerToken(request('/cameras?token=')), undefined);
  assert.is(bearerToken(request('/cameras')), undefined);
});

test('isLoopback: 127.0.0.0/8, ::1 and localhost only', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'localhost.']) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ['0.0.0.0', '::', '', '192.168.1.10', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io']) {
    assert.not.ok(isLoopback(host), host);
  }
});

test('checkGatewayExposure refuses a non-loopback listener without a token', () => {
  for (const token of [undefined, '', '   ']) {
    try {
      checkGatewayExposure('0.0.0.0', token);
      assert.unreachable(`0.0.0.0 with token ${JSON.stringify(token)} should throw`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_CONFIG');
      assert.is(
        (err as Error).message,
        'the gateway listens on 0.0.0.0 without an API token: set EMOTION_STREAM_API_TOKEN (or gateway.token) or listen on 127.0.0.1',
      );
    }
  }
  assert.throws(() => checkGatewayExposure('192.168.1.10', undefined), /listens on 192\.168\.1\.10 without an API token/);
  assert.throws(() => checkGatewayExposure('::', undefined), /listens on :: without/);
});

test('checkGatewayExposure allows loopback without a token and any host with one', () => {
  for (const host of ['127.0.0.1', '::1', 'localhost']) checkGatewayExposure(host, undefined);
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) checkGatewayExposure(host, 's3cret');
});

test.run();
