import { EmotionStreamError } from '../../common/errors.ts';
import { faceApiSamplePhoto } from './face-api-sample-photo.ts';
import { ffmpegBinary } from './ffmpeg-binary.ts';
import { ffmpegReason } from './ffmpeg-reason.ts';
import { commandEnded, ffmpegCommand } from './fluent-command.ts';

export interface DemoClipOptions {
  /** Where to write the mp4; its directory must exist. */
  outPath: string;
  /** Frame size in pixels; both even (H.264 4:2:0). Default 640 x 480. */
  width?: number;
  height?: number;
  /** Frames per second, default 15. */
  fps?: number;
  /** How long each of the six photos is shown, default 1 s. */
  secondsPerPhoto?: number;
  ffmpegPath?: string;
}

const PHOTOS = [1, 2, 3, 4, 5, 6] as const;
const TIMEOUT_S = 120;
/** The pan window moves over a canvas this much larger than the frame: gentle, faces stay in view. */
const PAN_MARGIN = 1.1;

/**
 * Builds an H.264 mp4 slideshow of the six face-api sample photos (real faces), each scaled to
 * fit, padded, and slowly panned so consecutive frames differ. Deterministic (fixed encoder
 * threads, bit-exact flags, no metadata) and quick: each photo is decoded and scaled once.
 * The clip has `6 * round(secondsPerPhoto * fps)` frames at a constant `fps`.
 *
 * @returns outPath
 * @throws ERR_CONFIG for odd or non-positive sizes; ERR_FFMPEG_MISSING; ERR_SINK when ffmpeg fails.
 */
export async function buildDemoClip(options: DemoClipOptions): Promise<string> {
  const { outPath, width = 640, height = 480, fps = 15, secondsPerPhoto = 1 } = options;
  validate(width, height, fps);
  const perPhoto = Math.max(1, Math.round(secondsPerPhoto * fps));
  const binary = ffmpegBinary('ffmpeg', options.ffmpegPath);
  const command = ffmpegCommand(binary, { timeout: TIMEOUT_S });
  for (const n of PHOTOS) command.input(faceApiSamplePhoto(n));
  command
    .complexFilter(slideshowFilter({ width, height, fps, perPhoto }), 'out')
    .output(outPath)
    // Global options may follow the inputs; fluent-ffmpeg adds -y for a file output.
    .outputOptions('-hide_banner', '-nostdin', '-loglevel', 'error')
    .outputOptions('-r', String(fps), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-threads', '2')
    .outputOptions('-fflags', '+bitexact', '-flags:v', '+bitexact', '-map_metadata', '-1', '-movflags', '+faststart');
  const ended = commandEnded(command);
  command.run();
  const { error, stderr } = await ended;
  if (error) {
    const reason = /ran into a timeout/.test(error.message) ? 'timed out' : ffmpegReason(stderr) || error.message;
    throw new EmotionStreamError('ERR_SINK', `demo clip could not be written to ${outPath}: ${reason}`, { cause: error, context: { outPath } });
  }
  return outPath;
}

function validate(width: number, height: number, fps: number): void {
  const evenPositive = (v: number) => Number.isInteger(v) && v > 0 && v % 2 === 0;
  if (!evenPositive(width) || !evenPositive(height) || !(fps > 0)) {
    throw new EmotionStreamError('ERR_CONFIG', `demo clip needs even positive width/height and fps > 0, got ${width}x${height} at ${fps}`, {
      context: { width, height, fps },
    });
  }
}

/**
 * Per photo: scale to fit a canvas PAN_MARGIN larger than the frame, pad, repeat the one
 * scaled image `perPhoto` times (decode and scale once), stamp constant-rate timestamps, and
 * crop a frame-sized window that slides across the canvas; then concatenate the six.
 */
function slideshowFilter(o: { width: number; height: number; fps: number; perPhoto: number }): string {
  const even = (v: number) => Math.ceil(v / 2) * 2;
  const cw = even(o.width * PAN_MARGIN);
  const ch = even(o.height * PAN_MARGIN);
  const span = Math.max(1, o.perPhoto - 1);
  const chains = PHOTOS.map((_, i) => {
    // Alternate the pan direction so the cut between photos is visible in motion as well.
    const t = i % 2 === 0 ? `n/${span}` : `(1-n/${span})`;
    return (
      `[${i}:v]scale=${cw}:${ch}:force_original_aspect_ratio=decrease,` +
      `pad=${cw}:${ch}:(ow-iw)/2:(oh-ih)/2,setsar=1,` +
      `loop=loop=${o.perPhoto - 1}:size=1:start=0,settb=AVTB,setpts=N/(${o.fps}*TB),` +
      `crop=${o.width}:${o.height}:x='(iw-ow)*${t}':y='(ih-oh)*${t}'[p${i}]`
    );
  });
  const labels = PHOTOS.map((_, i) => `[p${i}]`).join('');
  // Restamp after concat: it guesses segment lengths from frame durations, which one-frame segments lack.
  const restamp = `settb=AVTB,setpts=N/(${o.fps}*TB)`;
  return `${chains.join(';')};${labels}concat=n=${PHOTOS.length}:v=1:a=0,${restamp},format=yuv420p[out]`;
}
