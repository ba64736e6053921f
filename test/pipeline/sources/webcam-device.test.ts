import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { webcamDevice } from '../../../pipeline/sources/webcam-device.ts';

test('platform defaults: /dev/video0 on Linux, index 0 on macOS, none on Windows', () => {
  assert.is(webcamDevice({ type: 'webcam', platform: 'linux' }), '/dev/video0');
  assert.is(webcamDevice({ type: 'webcam', platform: 'darwin' }), '0');
  assert.is(webcamDevice({ type: 'webcam', platform: 'win32' }), undefined);
});

test('a configured device wins', () => {
  assert.is(webcamDevice({ type: 'webcam', platform: 'win32', device: 'HD Webcam' }), 'HD Webcam');
  assert.is(webcamDevice({ type: 'webcam', platform: 'linux', device: '/dev/video3' }), '/dev/video3');
});

test.run();
