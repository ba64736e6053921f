/**
 * The executable to run for `name`: an explicit path wins, then `FFMPEG_PATH` / `FFPROBE_PATH`,
 * then the bare name looked up on PATH.
 */
export function ffmpegBinary(name: 'ffmpeg' | 'ffprobe', explicit?: string): string {
  if (explicit) return explicit;
  const fromEnv = name === 'ffmpeg' ? process.env.FFMPEG_PATH : process.env.FFPROBE_PATH;
  return fromEnv || name;
}
