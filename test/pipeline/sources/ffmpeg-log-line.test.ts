import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFfmpegLogLine } from '../../../pipeline/sources/ffmpeg-log-line.ts';

// Lines as ffmpeg 5.1 prints them with -loglevel level+info and -vf showinfo.
test('showinfo frame lines give the frame index and integer pts', () => {
  const line =
    '[Parsed_showinfo_0 @ 0x55cfb82ebb00] [info] n:  89 pts:  91136 pts_time:5.93333 pos:   128923 fmt:yuv420p sar:1/1 s:320x240 i:P iskey:0 type:P ';
  assert.equal(parseFfmpegLogLine(line), { type: 'frame', n: 89, pts: 91136 });
  assert.equal(parseFfmpegLogLine('[Parsed_showinfo_0 @ 0x1] n:   0 pts:      0 pts_time:0       pos: 48'), { type: 'frame', n: 0, pts: 0 });
  assert.equal(parseFfmpegLogLine('[Parsed_showinfo_0 @ 0x1] [info] n:   3 pts:NOPTS pts_time:NOPTS'), { type: 'frame', n: 3, pts: undefined });
  assert.equal(parseFfmpegLogLine('[Parsed_showinfo_0 @ 0x1] [info] n:   0 pts:   -512 pts_time:-0.0333'), { type: 'frame', n: 0, pts: -512 });
});

test('showinfo config lines give the time base', () => {
  assert.equal(parseFfmpegLogLine('[Parsed_showinfo_0 @ 0x55cfb82ebb00] [info] config in time_base: 1/15360, frame_rate: 15/1'), {
    type: 'timebase',
    num: 1,
    den: 15360,
  });
  assert.equal(parseFfmpegLogLine('[Parsed_showinfo_0 @ 0x55cfb82ebb00] [info] config out time_base: 0/0, frame_rate: 0/0'), { type: 'other' });
});

test('error and fatal lines keep their text without prefixes', () => {
  assert.equal(parseFfmpegLogLine('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5574a99f5940] [error] stream 0, offset 0x1413e: partial file'), {
    type: 'error',
    text: 'stream 0, offset 0x1413e: partial file',
  });
  assert.equal(parseFfmpegLogLine('[fatal] trunc.mp4: corrupt input packet in stream 0'), {
    type: 'error',
    text: 'trunc.mp4: corrupt input packet in stream 0',
  });
});

// What ffmpeg 5.1 prints decoding an H.264 mp4 with bytes zeroed in the middle (capture counts these as decode errors).
test('decode errors of a damaged H.264 stream are errors; concealment notices are "concealed"', () => {
  for (const [line, text] of [
    ['[NULL @ 0x55b96aa1be40] [error] Invalid NAL unit size (0 > 417).', 'Invalid NAL unit size (0 > 417).'],
    ['[h264 @ 0x55b96aa37640] [error] error while decoding MB 4 0, bytestream -25', 'error while decoding MB 4 0, bytestream -25'],
    ['[error] Error while decoding stream #0:0: Invalid data found when processing input', 'Error while decoding stream #0:0: Invalid data found when processing input'],
  ]) {
    assert.equal(parseFfmpegLogLine(line), { type: 'error', text }, line);
  }
  assert.equal(parseFfmpegLogLine('[h264 @ 0x55b96aa37640] [info] concealing 300 DC, 300 AC, 300 MV errors in I frame'), {
    type: 'concealed',
    text: 'concealing 300 DC, 300 AC, 300 MV errors in I frame',
  });
  assert.equal(parseFfmpegLogLine('[warning] corrupt decoded frame in stream 0'), { type: 'concealed', text: 'corrupt decoded frame in stream 0' });
});

test('other lines, side data and warnings are "other"', () => {
  for (const line of [
    "[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'demo.mp4':",
    '[Parsed_showinfo_0 @ 0x55cfb82ebb00] [info]   side data - User Data Unregistered:',
    '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5574a99f5940] [warning] Packet corrupt (stream = 0, dts = 44032).',
    'n:   1 pts:   1024 (not from showinfo)',
    '',
  ]) {
    assert.equal(parseFfmpegLogLine(line), { type: 'other' }, line);
  }
});

test.run();
