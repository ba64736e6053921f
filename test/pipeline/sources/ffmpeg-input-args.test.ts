import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { ffmpegInputArgs } from '../../../pipeline/sources/ffmpeg-input-args.ts';

test('file: just the input path', () => {
  assert.equal(ffmpegInputArgs({ type: 'file', path: '/videos/a b.mp4' }), ['-i', '/videos/a b.mp4']);
});

test('webcam on Linux: v4l2 with default device, rate and size', () => {
  assert.equal(ffmpegInputArgs({ type: 'webcam', platform: 'linux' }), [
    '-f', 'v4l2', '-framerate', '30', '-video_size', '640x480', '-i', '/dev/video0',
  ]);
});

test('webcam on Linux: requested device, size and rate', () => {
  assert.equal(ffmpegInputArgs({ type: 'webcam', platform: 'linux', device: '/dev/video2', width: 1280, height: 720, fps: 15 }), [
    '-f', 'v4l2', '-framerate', '15', '-video_size', '1280x720', '-i', '/dev/video2',
  ]);
});

test('webcam on macOS: avfoundation by index, microphone left closed', () => {
  assert.equal(ffmpegInputArgs({ type: 'webcam', platform: 'darwin' }), [
    '-f', 'avfoundation', '-framerate', '30', '-video_size', '640x480', '-i', '0:none',
  ]);
  assert.equal(ffmpegInputArgs({ type: 'webcam', platform: 'darwin', device: '1', fps: 25 }).slice(-2), ['-i', '1:none']);
});

test('webcam on Windows: dshow by name, and a name is required', () => {
  assert.equal(ffmpegInputArgs({ type: 'webcam', platform: 'win32', device: 'Integrated Camera', width: 320, height: 240 }), [
    '-f', 'dshow', '-framerate', '30', '-video_size', '320x240', '-i', 'video=Integrated Camera',
  ]);
  try {
    ffmpegInputArgs({ type: 'webcam', platform: 'win32' });
    assert.unreachable('a Windows webcam without a device name should be rejected');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.is(err.code, 'ERR_CONFIG');
    assert.match(err.message, /-list_devices true -f dshow/);
  }
});

test('rtsp: tcp by default with a 5 s socket timeout in microseconds', () => {
  assert.equal(ffmpegInputArgs({ type: 'rtsp', url: 'rtsp://cam/live' }), [
    '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', 'rtsp://cam/live',
  ]);
  assert.equal(ffmpegInputArgs({ type: 'rtsp', url: 'rtsp://u:p@cam/live', transport: 'udp', timeoutMs: 1500 }), [
    '-rtsp_transport', 'udp', '-timeout', '1500000', '-i', 'rtsp://u:p@cam/live',
  ]);
});

test.run();
