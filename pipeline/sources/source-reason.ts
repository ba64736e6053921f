import { describeSource } from './describe-source.ts';
import type { VideoSource } from './video-source.ts';

/**
 * Makes an ffmpeg/ffprobe message about `source` fit for an error or log: ffmpeg prefixes
 * messages with the input it was given, which is redundant for files ("<path>: ...") and a
 * credential leak for RTSP URLs (replaced by the credential-free description).
 */
export function sourceReason(source: VideoSource, reason: string): string {
  if (source.type === 'file') return reason.split(`${source.path}: `).join('');
  if (source.type === 'rtsp') return reason.split(source.url).join(describeSource(source));
  return reason;
}
