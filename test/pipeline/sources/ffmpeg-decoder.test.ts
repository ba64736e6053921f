import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { FfmpegDecoder, type DecodedFrame, type DecoderExit } from '../../../pipeline/sources/ffmpeg-decoder.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-decoder-');
const clip = join(tmp.dir, 'clip.mp4');
test.before(async () => {
  // 6 photos x 5 frames at 10 fps: 30 frames, 100 ms apart.
  await buildDemoClip({ outPath: clip, width: 64, height: 48, fps: 10, secondsPerPhoto: 0.5 });
});
test.after(() => tmp.cleanup());

function decoder(binary = 'ffmpeg') {
  const frames: DecodedFrame[] = [];
  let exit: DecoderExit | undefined;
  let exited: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (exited = resolve));
  const instance = new FfmpegDecoder({
    source: { type: 'file', path: clip },
    width: 64,
    height: 48,
    fps: 10,
    binary,
    onFrame: (f) => frames.push(f),
    onExit: (e) => {
      exit = e;
      exited();
    },
  });
  return { instance, frames, done, exit: () => exit };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('decodes every frame with its pts and ends with a clean exit', async () => {
  const d = decoder();
  await d.instance.start();
  assert.ok(d.instance.pid! > 0);
  await d.done;
  assert.is(d.frames.length, 30);
  assert.equal(d.frames.map((f) => f.ptsMs), Array.from({ length: 30 }, (_, i) => i * 100));
  assert.ok(d.frames.every((f) => f.pixels.length === 64 * 48 * 3));
  assert.equal(d.exit(), { code: 0, signal: null, partialBytes: 0 });
});

test('pause holds frames back until resume', async () => {
  const d = decoder();
  await d.instance.start();
  d.instance.pause();
  await sleep(300);
  // At most what one already-read chunk held: ffmpeg itself is blocked on the full pipe.
  const whilePaused = d.frames.length;
  assert.ok(whilePaused < 30, `${whilePaused} frames arrived while paused`);
  assert.is(d.exit(), undefined);
  d.instance.resume();
  await d.done;
  assert.is(d.frames.length, 30);
});

test('stop kills ffmpeg without reporting an exit', async () => {
  const d = decoder();
  await d.instance.start();
  d.instance.pause();
  d.instance.stop();
  d.instance.stop();
  await sleep(200);
  assert.is(d.exit(), undefined);
  assert.throws(() => process.kill(d.instance.pid!, 0), /ESRCH/);
});

test('stop before ffmpeg has spawned still kills it once it does', async () => {
  const d = decoder();
  const started = d.instance.start();
  d.instance.stop();
  await started;
  await sleep(200);
  assert.is(d.exit(), undefined);
  assert.throws(() => process.kill(d.instance.pid!, 0), /ESRCH/);
});

test('a missing ffmpeg rejects start() with ERR_FFMPEG_MISSING and reports no exit', async () => {
  const d = decoder(join(tmp.dir, 'ffmpeg'));
  try {
    await d.instance.start();
    assert.unreachable('start should reject');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.is(err.code, 'ERR_FFMPEG_MISSING');
  }
  await sleep(50);
  assert.is(d.exit(), undefined);
});

test.run();
