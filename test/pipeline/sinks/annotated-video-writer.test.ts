import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { AnnotatedVideoWriter } from '../../../pipeline/sinks/annotated-video-writer.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-video-writer-');
test.after(() => tmp.cleanup());

/** A smooth BGR gradient that moves with `i` (smooth so H.264 reproduces it closely). */
function gradient(width: number, height: number, i: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const o = (y * width + x) * 3;
      pixels[o] = (x * 2 + i * 8) % 256;
      pixels[o + 1] = (y * 3) % 256;
      pixels[o + 2] = 128;
    }
  }
  return pixels;
}

/** Frames counted by decoding the whole file (not trusting the container's index). */
async function decodedFrameCount(path: string): Promise<number> {
  const result = await runProcess('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  return Number(result.stdout.trim());
}

async function expectSinkError(action: () => Promise<unknown>, pattern: RegExp, code = 'ERR_SINK'): Promise<void> {
  try {
    await action();
  } catch (err) {
    assert.ok(isEmotionStreamError(err), `expected a coded error, got ${String(err)}`);
    assert.is(err.code, code);
    assert.match(err.message, pattern);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('round trip: N frames in, an mp4 with N frames of the same size and rate out', async () => {
  const outPath = join(tmp.dir, 'out.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 96, height: 64, fps: 12 });
  const frames = Array.from({ length: 17 }, (_, i) => gradient(96, 64, i));
  for (const frame of frames) await writer.write(frame);
  assert.is(writer.framesWritten, 17);
  await writer.close();
  const info = await probeVideo({ type: 'file', path: outPath });
  assert.equal([info.width, info.height, info.fps, info.frameCount], [96, 64, 12, 17]);
  assert.is(await decodedFrameCount(outPath), 17);
  // The content survives encoding (lossy, so compare loosely): frame 5 decodes close to what was written.
  const raw = join(tmp.dir, 'frame5.bgr');
  await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', outPath, '-vf', 'select=eq(n\\,5)', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'bgr24', raw]);
  const decoded = readFileSync(raw);
  let diff = 0;
  for (let i = 0; i < decoded.length; i += 1) diff += Math.abs(decoded[i] - frames[5][i]);
  assert.is(decoded.length, frames[5].length);
  assert.ok(diff / decoded.length < 6, `mean difference ${diff / decoded.length}`);
});

test('large frames are written through stdin backpressure without losing any', async () => {
  const outPath = join(tmp.dir, 'large.mp4');
  // 640x480 BGR is 900 KiB per frame, far beyond a pipe buffer: write() has to wait for drain.
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 640, height: 480, fps: 30000 / 1001, preset: 'ultrafast' });
  const frame = gradient(640, 480, 0);
  for (let i = 0; i < 10; i += 1) await writer.write(frame);
  await writer.close();
  const info = await probeVideo({ type: 'file', path: outPath });
  assert.equal([info.width, info.height, info.frameCount], [640, 480, 10]);
  assert.ok(Math.abs(info.fps - 29.97) < 0.01, `fps ${info.fps}`);
});

test('odd sizes are padded to even (H.264 4:2:0), frames kept', async () => {
  const outPath = join(tmp.dir, 'odd.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 65, height: 49, fps: 10 });
  for (let i = 0; i < 3; i += 1) await writer.write(gradient(65, 49, i));
  await writer.close();
  const info = await probeVideo({ type: 'file', path: outPath });
  assert.equal([info.width, info.height, info.frameCount], [66, 50, 3]);
});

test('a missing output directory is a clear ERR_SINK before ffmpeg starts', async () => {
  const dir = join(tmp.dir, 'no-such-dir');
  await expectSinkError(
    () => AnnotatedVideoWriter.open({ outPath: join(dir, 'out.mp4'), width: 64, height: 48, fps: 10 }),
    new RegExp(`^output directory does not exist: ${dir}$`),
  );
});

test('a frame of the wrong size is refused', async () => {
  const outPath = join(tmp.dir, 'wrong.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 64, height: 48, fps: 10 });
  await expectSinkError(() => writer.write(Buffer.alloc(100)), /frame is 100 bytes, expected 9216/);
  await writer.write(gradient(64, 48, 0));
  await writer.close();
  await expectSinkError(() => writer.write(gradient(64, 48, 1)), /write after close/);
  assert.is((await probeVideo({ type: 'file', path: outPath })).frameCount, 1);
});

test('an ffmpeg failure rejects close() with ffmpeg last stderr line', async () => {
  const outPath = join(tmp.dir, 'bad-preset.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 64, height: 48, fps: 10, preset: 'no-such-preset' });
  // The encoder is opened at the first frame; this write may or may not see the failure yet.
  await writer.write(gradient(64, 48, 0)).catch(() => undefined);
  await expectSinkError(() => writer.close(), /Error while opening encoder for output stream/);
});

test('closing with no frames keeps no empty video', async () => {
  const outPath = join(tmp.dir, 'empty.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 64, height: 48, fps: 10 });
  await writer.close();
  await writer.close();
  assert.not.ok(existsSync(outPath));
});

test('abort kills ffmpeg and removes the unfinished file', async () => {
  const outPath = join(tmp.dir, 'aborted.mp4');
  const writer = await AnnotatedVideoWriter.open({ outPath, width: 64, height: 48, fps: 10 });
  await writer.write(gradient(64, 48, 0));
  await writer.abort();
  assert.not.ok(existsSync(outPath));
});

test('a missing ffmpeg is ERR_FFMPEG_MISSING', async () => {
  await expectSinkError(
    () => AnnotatedVideoWriter.open({ outPath: join(tmp.dir, 'x.mp4'), width: 64, height: 48, fps: 10, ffmpegPath: join(tmp.dir, 'ffmpeg') }),
    /is not installed/,
    'ERR_FFMPEG_MISSING',
  );
});

test.run();
