import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redactUrl } from '../../common/redact-url.ts';

test('redactUrl hides the password only', () => {
  assert.is(redactUrl('redis://:s3cret@host:6379/2'), 'redis://:***@host:6379/2');
  assert.is(redactUrl('rediss://user:p%40ss@host:6380'), 'rediss://user:***@host:6380');
  assert.is(redactUrl('redis://host:6379'), 'redis://host:6379');
  assert.is(redactUrl('weird //user:pw@host'), 'weird //user:***@host');
});

test('RTSP camera URLs keep host, port, path and query; the password is masked', () => {
  const url = 'rtsp://admin:s3cr%40t@192.168.1.20:554/Streaming/Channels/101?transport=tcp';
  assert.is(redactUrl(url), 'rtsp://admin:***@192.168.1.20:554/Streaming/Channels/101?transport=tcp');
  assert.is(redactUrl('rtsp://cam.local:8554/live'), 'rtsp://cam.local:8554/live');
});

test('dropUser removes the user name and the password (source descriptions in events and errors)', () => {
  assert.is(redactUrl('rtsp://admin:s3cr%40t@10.0.0.5:554/live', { dropUser: true }), 'rtsp://10.0.0.5:554/live');
  assert.is(redactUrl('rtsp://user@cam.local/live', { dropUser: true }), 'rtsp://cam.local/live');
  assert.is(redactUrl('rtsp://cam.local/live', { dropUser: true }), 'rtsp://cam.local/live');
});

test.run();
