import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ffmpegBinary } from '../../../pipeline/sources/ffmpeg-binary.ts';

test('explicit path, then FFMPEG_PATH / FFPROBE_PATH, then the bare name', () => {
  const saved = { ffmpeg: process.env.FFMPEG_PATH, ffprobe: process.env.FFPROBE_PATH };
  try {
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    assert.is(ffmpegBinary('ffmpeg'), 'ffmpeg');
    assert.is(ffmpegBinary('ffprobe'), 'ffprobe');
    process.env.FFMPEG_PATH = '/opt/ff/ffmpeg';
    process.env.FFPROBE_PATH = '/opt/ff/ffprobe';
    assert.is(ffmpegBinary('ffmpeg'), '/opt/ff/ffmpeg');
    assert.is(ffmpegBinary('ffprobe'), '/opt/ff/ffprobe');
    assert.is(ffmpegBinary('ffmpeg', '/usr/bin/ffmpeg'), '/usr/bin/ffmpeg');
  } finally {
    for (const [key, value] of [['FFMPEG_PATH', saved.ffmpeg], ['FFPROBE_PATH', saved.ffprobe]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test.run();
