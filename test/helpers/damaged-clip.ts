import { readFileSync, writeFileSync } from 'node:fs';
import { runProcess } from '../../pipeline/sources/run-process.ts';

/**
 * An H.264 mp4 of ffmpeg's testsrc pattern: `frames` frames at `fps`, a keyframe every second.
 * Its index (moov) is at the end, so the middle of the file is frame data.
 */
export async function buildTestsrcClip(outPath: string, options: { frames: number; fps: number; width: number; height: number }): Promise<string> {
  const { frames, fps, width, height } = options;
  const result = await runProcess('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`, '-frames:v', String(frames),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', String(fps), outPath,
  ]);
  if (result.code !== 0) throw new Error(`ffmpeg could not build ${outPath}: ${result.stderr}`);
  return outPath;
}

/** A copy of `source` with `bytes` zeros over its middle: frames there no longer decode. */
export function zeroMiddle(source: string, outPath: string, bytes: number): string {
  const data = readFileSync(source);
  const from = Math.floor((data.length - bytes) / 2);
  data.fill(0, from, from + bytes);
  writeFileSync(outPath, data);
  return outPath;
}
