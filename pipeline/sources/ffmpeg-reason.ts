/**
 * Condenses ffmpeg/ffprobe diagnostics into one line for an error message: drops the
 * `[demuxer @ 0x55...]` and `[error]` prefixes, blank lines and repeats, keeps the last
 * `maxParts` distinct messages (the root cause is usually last) and joins them with "; ".
 */
export function ffmpegReason(stderr: string | string[], maxParts = 3): string {
  const lines = Array.isArray(stderr) ? stderr : stderr.split(/\r?\n|\r/);
  const parts: string[] = [];
  for (const raw of lines) {
    const text = stripPrefixes(raw);
    if (!text || parts.includes(text)) continue;
    parts.push(text);
  }
  return parts.slice(-maxParts).join('; ');
}

function stripPrefixes(line: string): string {
  // "[mov,mp4 @ 0x55d2] [error] moov atom not found" -> "moov atom not found"
  return line.replace(/^(\s*\[[^\]]*\]\s*)+/, '').trim();
}
