import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sourceReason } from '../../../pipeline/sources/source-reason.ts';

test('file paths repeated by ffmpeg are dropped from the reason', () => {
  assert.is(sourceReason({ type: 'file', path: '/v/a.mp4' }, '/v/a.mp4: Invalid data found when processing input'), 'Invalid data found when processing input');
});

test('RTSP credentials never survive into the reason', () => {
  const url = 'rtsp://admin:pw@10.0.0.5:554/live';
  assert.is(sourceReason({ type: 'rtsp', url }, `${url}: Connection refused`), 'rtsp://10.0.0.5:554/live: Connection refused');
});

test('webcam reasons pass unchanged', () => {
  assert.is(sourceReason({ type: 'webcam', device: '/dev/video1' }, 'Device or resource busy'), 'Device or resource busy');
});

test.run();
