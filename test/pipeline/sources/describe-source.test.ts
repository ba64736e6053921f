import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeSource } from '../../../pipeline/sources/describe-source.ts';

test('files are described by their path', () => {
  assert.is(describeSource({ type: 'file', path: '/data/clip.mp4' }), '/data/clip.mp4');
});

test('webcams are described by their device, defaulted per platform', () => {
  assert.is(describeSource({ type: 'webcam', platform: 'linux' }), 'webcam /dev/video0');
  assert.is(describeSource({ type: 'webcam', platform: 'darwin' }), 'webcam 0');
  assert.is(describeSource({ type: 'webcam', platform: 'win32', device: 'USB Camera' }), 'webcam USB Camera');
  assert.is(describeSource({ type: 'webcam', platform: 'win32' }), 'webcam (no device named)');
});

test('RTSP URLs lose their credentials, keep host, port, path and query', () => {
  const url = 'rtsp://admin:s3cr%40t@192.168.1.20:554/Streaming/Channels/101?transport=tcp';
  const described = describeSource({ type: 'rtsp', url });
  assert.is(described, 'rtsp://192.168.1.20:554/Streaming/Channels/101?transport=tcp');
  assert.not.match(described, /admin|s3cr/);
  assert.is(describeSource({ type: 'rtsp', url: 'rtsp://user@cam.local/live' }), 'rtsp://cam.local/live');
});

test('RTSP URLs without credentials are unchanged', () => {
  assert.is(describeSource({ type: 'rtsp', url: 'rtsp://cam.local:8554/live' }), 'rtsp://cam.local:8554/live');
});

test.run();
