import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { checkWebcamDevice } from '../../../pipeline/sources/check-webcam-device.ts';
import type { VideoSource } from '../../../pipeline/sources/video-source.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-webcam-device-');
test.after(() => tmp.cleanup());
const regularFile = join(tmp.dir, 'video0');
writeFileSync(regularFile, 'not a camera');

/** The ERR_CONFIG message checkWebcamDevice refuses `source` with. */
function refusal(source: VideoSource): string {
  try {
    checkWebcamDevice(source);
  } catch (err) {
    assert.ok(isEmotionStreamError(err), String(err));
    assert.is(err.code, 'ERR_CONFIG');
    return err.message;
  }
  return assert.unreachable(`${JSON.stringify(source)} was accepted`) as never;
}

const linux = (device: string): VideoSource => ({ type: 'webcam', platform: 'linux', device });
const notV4l2 = (device: string) => `webcam device must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(device)})`;

test('linux: /dev/zero, ../../etc/passwd and a regular file are refused by form, before the disk is looked at', () => {
  assert.is(refusal(linux('/dev/zero')), notV4l2('/dev/zero'));
  assert.is(refusal(linux('../../etc/passwd')), notV4l2('../../etc/passwd'));
  assert.is(refusal(linux(regularFile)), notV4l2(regularFile));
});

test('linux: a /dev/video<N> that does not exist (no camera here) is refused, with how to list cameras', () => {
  assert.is(refusal(linux('/dev/video99')), 'webcam device /dev/video99 does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices)');
  assert.is(refusal({ type: 'webcam', platform: 'linux' }), 'webcam device /dev/video0 does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices)', 'the default device too');
  assert.match(refusal(linux('/dev/v4l/by-id/usb-none-video-index0')), 'webcam device /dev/v4l/by-id/usb-none-video-index0 does not exist');
});

test('macOS and Windows: names pass (only ffmpeg can tell whether such a camera is there); paths and a missing Windows name do not', () => {
  checkWebcamDevice({ type: 'webcam', platform: 'darwin', device: 'FaceTime HD Camera' });
  checkWebcamDevice({ type: 'webcam', platform: 'darwin' });
  checkWebcamDevice({ type: 'webcam', platform: 'win32', device: 'HD Webcam C270' });
  assert.match(refusal({ type: 'webcam', platform: 'win32', device: '..\\..\\boot.ini' }), 'webcam device must be a dshow device name, not a path');
  assert.match(refusal({ type: 'webcam', platform: 'darwin', device: '/dev/video0' }), 'webcam device must be an avfoundation device index (0, 1, ...) or name, not a path');
  assert.match(refusal({ type: 'webcam', platform: 'win32' }), 'webcam device name is required on Windows');
});

test('files and RTSP streams are not webcams: nothing to check here', () => {
  checkWebcamDevice({ type: 'file', path: '/nonexistent.mp4' });
  checkWebcamDevice({ type: 'rtsp', url: 'rtsp://cam/stream' });
});

test.run();
