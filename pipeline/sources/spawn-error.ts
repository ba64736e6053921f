import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Turns the error a child process emits when it cannot start (ENOENT, EACCES) into
 * ERR_FFMPEG_MISSING, naming the binary and how to fix it.
 */
export function spawnError(err: unknown, binary: string): EmotionStreamError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = code === 'ENOENT' ? 'is not installed or not on PATH' : `could not be started (${code ?? 'unknown error'})`;
  return new EmotionStreamError(
    'ERR_FFMPEG_MISSING',
    `${binary} ${why}: install ffmpeg (e.g. apt-get install ffmpeg) or set FFMPEG_PATH / FFPROBE_PATH`,
    { cause: err, context: { binary } },
  );
}
