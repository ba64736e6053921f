import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError, type ErrorCode } from '../../../common/errors.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import type { VideoSource } from '../../../pipeline/sources/video-source.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-probe-');
const clip = join(tmp.dir, 'clip.mp4');

test.before(async () => {
  await buildDemoClip({ outPath: clip, width: 160, height: 120, fps: 10, secondsPerPhoto: 0.5 });
});
test.after(() => tmp.cleanup());

async function probeError(source: VideoSource, options = {}): Promise<{ code: ErrorCode; message: string }> {
  try {
    await probeVideo(source, options);
  } catch (err) {
    assert.ok(isEmotionStreamError(err), `expected a coded error, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  throw new Error('probeVideo should have failed');
}

test('reads size, rate, duration and frame count of a clip', async () => {
  assert.equal(await probeVideo({ type: 'file', path: clip }), { width: 160, height: 120, fps: 10, durationMs: 3000, frameCount: 30 });
});

test('a stream without its own duration (mkv) takes the container duration', async () => {
  const mkv = join(tmp.dir, 'clip.mkv');
  assert.is((await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c', 'copy', mkv])).code, 0);
  const info = await probeVideo({ type: 'file', path: mkv });
  assert.equal([info.width, info.height, info.fps, info.durationMs], [160, 120, 10, 3000]);
});

test('a missing file is ERR_SOURCE_NOT_FOUND naming the path', async () => {
  const path = join(tmp.dir, 'missing.mp4');
  assert.equal(await probeError({ type: 'file', path }), { code: 'ERR_SOURCE_NOT_FOUND', message: `video file not found: ${path}` });
});

test('a text file named .mp4 is ERR_SOURCE_UNREADABLE with ffprobe reason on one line', async () => {
  const path = join(tmp.dir, 'notes.mp4');
  writeFileSync(path, 'these are meeting notes, not a video\n');
  const { code, message } = await probeError({ type: 'file', path });
  assert.is(code, 'ERR_SOURCE_UNREADABLE');
  assert.is(message, `video file could not be opened: ${path}: moov atom not found; Invalid data found when processing input`);
});

test('an mp4 cut in half with its index at the end cannot be opened', async () => {
  // Without +faststart the moov atom sits after the media data, so the first half has no index.
  const path = join(tmp.dir, 'tail-index-half.mp4');
  const full = join(tmp.dir, 'tail-index.mp4');
  const result = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c', 'copy', full]);
  assert.is(result.code, 0);
  const bytes = readFileSync(full);
  writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
  const { code, message } = await probeError({ type: 'file', path });
  assert.is(code, 'ERR_SOURCE_UNREADABLE');
  assert.match(message, /moov atom not found/);
  assert.not.match(message, /\n/);
});

test('a directory is not a video file', async () => {
  const { code, message } = await probeError({ type: 'file', path: tmp.dir });
  assert.is(code, 'ERR_SOURCE_UNREADABLE');
  assert.match(message, /not a regular file/);
});

test('a missing webcam device on Linux is ERR_SOURCE_UNREACHABLE', async () => {
  const device = '/dev/video-es-test-absent';
  assert.equal(await probeError({ type: 'webcam', platform: 'linux', device }), {
    code: 'ERR_SOURCE_UNREACHABLE',
    message: `webcam ${device} not found`,
  });
});

test('an RTSP stream nobody serves is ERR_SOURCE_UNREACHABLE without credentials in the message', async () => {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const { code, message } = await probeError({ type: 'rtsp', url: 'rtsp://admin:hunter2@127.0.0.1:9/live', timeoutMs: 2000 });
  assert.is(code, 'ERR_SOURCE_UNREACHABLE');
  assert.match(message, /^rtsp:\/\/127\.0\.0\.1:9\/live could not be opened: .*Connection refused/);
  assert.not.match(message, /hunter2|admin/);
});

test('a missing ffprobe binary is ERR_FFMPEG_MISSING', async () => {
  const copy = join(tmp.dir, 'copy.mp4');
  copyFileSync(clip, copy);
  const { code, message } = await probeError({ type: 'file', path: copy }, { ffprobePath: join(tmp.dir, 'no-such-ffprobe') });
  assert.is(code, 'ERR_FFMPEG_MISSING');
  assert.match(message, /no-such-ffprobe is not installed/);
});

test.run();
