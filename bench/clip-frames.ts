import type { BgrFrame } from '../pipeline/frames/bgr-image.ts';
import { ffmpegBinary } from '../pipeline/sources/ffmpeg-binary.ts';
import { FfmpegDecoder, type DecoderExit } from '../pipeline/sources/ffmpeg-decoder.ts';
import { probeVideo } from '../pipeline/sources/probe-video.ts';

/** The first `count` frames of a video file, decoded as capture decodes them, scaled to `size`. */
export async function firstFrames(path: string, count: number, size: { width: number; height: number }): Promise<BgrFrame[]> {
  const info = await probeVideo({ type: 'file', path });
  const frames: BgrFrame[] = [];
  let decoder: FfmpegDecoder | undefined;
  const exit = await new Promise<DecoderExit | null>((done, fail) => {
    decoder = new FfmpegDecoder({
      source: { type: 'file', path }, ...size, fps: info.fps, binary: ffmpegBinary('ffmpeg'),
      onFrame: ({ pixels }) => {
        if (frames.length >= count) return;
        frames.push({ pixels, ...size });
        // Enough: stop ffmpeg rather than decode the rest of the clip.
        if (frames.length === count) { decoder!.stop(); done(null); }
      },
      onExit: done,
    });
    decoder.start().catch(fail);
  });
  if (exit && (exit.error || exit.code !== 0)) throw new Error(`ffmpeg could not decode ${path}: ${exit.error ?? `exit ${exit.code}`}`);
  return frames;
}
