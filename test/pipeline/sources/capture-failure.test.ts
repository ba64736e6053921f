import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmotionStreamError } from '../../../common/errors.ts';
import { isRetryableOpenError } from '../../../pipeline/sources/capture-failure.ts';

const unreachable = new EmotionStreamError('ERR_SOURCE_UNREACHABLE', 'webcam /dev/video99 not found');
const missingWebcam = { type: 'webcam', platform: 'linux', device: '/dev/video99' } as const;

test('a webcam node missing from the start is not retried; one that was live before was unplugged and is retried', () => {
  assert.is(isRetryableOpenError(missingWebcam, unreachable), false);
  assert.is(isRetryableOpenError(missingWebcam, unreachable, { wasLive: false }), false);
  assert.is(isRetryableOpenError(missingWebcam, unreachable, { wasLive: true }), true);
});

test('codes no retry can fix stay unretried, live before or not', () => {
  for (const code of ['ERR_CONFIG', 'ERR_FFMPEG_MISSING', 'ERR_SOURCE_NOT_FOUND'] as const) {
    assert.is(isRetryableOpenError(missingWebcam, new EmotionStreamError(code, 'x'), { wasLive: true }), false, code);
  }
  assert.is(isRetryableOpenError({ type: 'rtsp', url: 'rtsp://cam/s' }, new Error('connection refused')), true);
});

test.run();
