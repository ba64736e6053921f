import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ffmpegReason } from '../../../pipeline/sources/ffmpeg-reason.ts';

test('one line: prefixes and blanks removed, repeats collapsed, last parts kept', () => {
  const stderr = [
    '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e72e1da4c0] moov atom not found',
    '',
    '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e72e1da4c1] moov atom not found',
    '/tmp/x.mp4: Invalid data found when processing input',
    '',
  ].join('\n');
  assert.is(ffmpegReason(stderr), 'moov atom not found; /tmp/x.mp4: Invalid data found when processing input');
  assert.is(ffmpegReason(stderr, 1), '/tmp/x.mp4: Invalid data found when processing input');
  assert.is(ffmpegReason(['[h264 @ 0x1] [error] a', '[error] b', 'c', 'd']), 'b; c; d');
  assert.is(ffmpegReason(''), '');
});

test.run();
