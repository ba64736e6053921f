import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';
import { ffmpegReason } from './ffmpeg-reason.ts';
import { spawnError } from './spawn-error.ts';

type Fields = Record<string, string | number | undefined>;

/** The first video stream (absent when there is none) and the format, as ffprobe printed them. */
export interface ProbedFile {
  stream?: Fields;
  format: Fields;
}

/**
 * Runs ffprobe on a file through fluent-ffmpeg (`ffmpeg.ffprobe`), first video stream only.
 * Values ffprobe prints as "N/A" are dropped, so a missing stream duration falls back to the
 * container's as in JSON output.
 *
 * @throws ERR_FFMPEG_MISSING when `binary` cannot start; a plain Error whose message is
 *   ffprobe's reason on one line when it fails, or "no answer within N ms".
 */
export function ffprobeFile(path: string, binary: string, timeoutMs: number): Promise<ProbedFile> {
  return new Promise((resolve, reject) => {
    // fluent-ffmpeg does not expose the ffprobe process, so a hung probe can only be abandoned, not
    // killed; live sources, which can hang, are probed with runProcess instead.
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    // Read synchronously by the ffprobe() call below, so concurrent probes cannot swap paths.
    ffmpeg.setFfprobePath(binary);
    ffmpeg.ffprobe(path, ['-v', 'error', '-select_streams', 'v:0'], (err: unknown, data: FfprobeData) => {
      clearTimeout(timer);
      if (err) return reject(probeError(err, binary));
      resolve({ stream: data.streams[0] && withoutNA(data.streams[0]), format: withoutNA(data.format) });
    });
  });
}

function probeError(err: unknown, binary: string): Error {
  const errno = err as NodeJS.ErrnoException;
  if (errno.syscall?.startsWith('spawn')) return spawnError(err, binary);
  // fluent-ffmpeg's message: "ffprobe exited with code N" then ffprobe's stderr.
  const [status = 'ffprobe failed', ...stderr] = String(errno.message).split('\n');
  return new Error(ffmpegReason(stderr) || status, { cause: err });
}

function withoutNA(fields: object): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== 'N/A')) as Fields;
}
