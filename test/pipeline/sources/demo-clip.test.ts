import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-demo-clip-');
test.after(() => tmp.cleanup());

/** All frames of a clip as raw gray bytes, one buffer per frame (decoded by ffmpeg itself). */
async function grayFrames(path: string, width: number, height: number): Promise<Buffer[]> {
  const rawPath = `${path}.gray`;
  const result = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', rawPath]);
  assert.is(result.code, 0, result.stderr);
  const bytes = readFileSync(rawPath);
  const size = width * height;
  return Array.from({ length: bytes.length / size }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

test('a slideshow of the six photos at the requested size, rate and length', async () => {
  const outPath = join(tmp.dir, 'demo.mp4');
  const started = Date.now();
  assert.is(await buildDemoClip({ outPath, width: 320, height: 240, fps: 12, secondsPerPhoto: 0.5 }), outPath);
  assert.ok(Date.now() - started < 10_000, 'building the clip should take seconds');
  assert.equal(await probeVideo({ type: 'file', path: outPath }), { width: 320, height: 240, fps: 12, durationMs: 3000, frameCount: 36 });
});

test('six photos x round(secondsPerPhoto * fps) frames, also for one or two frames per photo', async () => {
  for (const [fps, secondsPerPhoto, frameCount] of [[10, 0.2, 12], [25, 0.04, 6]] as const) {
    const outPath = join(tmp.dir, `short-${fps}.mp4`);
    await buildDemoClip({ outPath, width: 64, height: 48, fps, secondsPerPhoto });
    const info = await probeVideo({ type: 'file', path: outPath });
    assert.equal([info.frameCount, info.fps], [frameCount, fps]);
  }
});

test('frames pan within a photo and change between photos', async () => {
  const outPath = join(tmp.dir, 'pan.mp4');
  await buildDemoClip({ outPath, width: 160, height: 120, fps: 10, secondsPerPhoto: 0.5 });
  const frames = await grayFrames(outPath, 160, 120);
  assert.is(frames.length, 30);
  for (let i = 1; i < frames.length; i += 1) {
    assert.ok(!frames[i].equals(frames[i - 1]), `frame ${i} repeats frame ${i - 1}`);
  }
  // 5 frames per photo: the cut to the next photo (frame 4 -> 5) changes far more than a pan step (3 -> 4).
  assert.ok(meanAbsDiff(frames[4], frames[5]) > 1.5 * meanAbsDiff(frames[3], frames[4]));
  // Real photos, not black padding: the frame has detail.
  const [lo, hi] = frames[0].reduce(([min, max], v) => [Math.min(min, v), Math.max(max, v)], [255, 0]);
  assert.ok(hi - lo > 100, `frame 0 spans only ${lo}..${hi}`);
});

test('deterministic: the same options give the same bytes', async () => {
  const a = join(tmp.dir, 'a.mp4');
  const b = join(tmp.dir, 'b.mp4');
  await buildDemoClip({ outPath: a, width: 160, height: 120, fps: 10, secondsPerPhoto: 0.3 });
  await buildDemoClip({ outPath: b, width: 160, height: 120, fps: 10, secondsPerPhoto: 0.3 });
  assert.ok(readFileSync(a).equals(readFileSync(b)));
});

test('odd sizes are refused before running ffmpeg; a missing directory is ERR_SINK', async () => {
  for (const [options, code] of [
    [{ outPath: join(tmp.dir, 'odd.mp4'), width: 161 }, 'ERR_CONFIG'],
    [{ outPath: join(tmp.dir, 'no', 'dir.mp4'), width: 160, height: 120 }, 'ERR_SINK'],
  ] as const) {
    try {
      await buildDemoClip(options);
      assert.unreachable('should fail');
    } catch (err) {
      assert.ok(isEmotionStreamError(err));
      assert.is(err.code, code);
    }
  }
});

test.run();
