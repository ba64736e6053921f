import { statSync } from 'node:fs';
import { errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import type { VideoSource } from './video-source.ts';
import { webcamDevice } from './webcam-device.ts';

/** Why a capture session failed, as it rides on a camera state change or a stream-end. */
export interface CaptureFailure {
  code: string;
  message: string;
}

/** Codes no retry can fix: ffmpeg is absent, the options are invalid, the file does not exist. */
const NEVER_RETRIED = new Set(['ERR_FFMPEG_MISSING', 'ERR_CONFIG', 'ERR_SOURCE_NOT_FOUND']);

/** The code and one-line message of whatever a capture failed with (uncoded errors count as unreachable). */
export function captureFailure(err: unknown): CaptureFailure {
  if (isEmotionStreamError(err)) return { code: err.code, message: err.message };
  return { code: 'ERR_SOURCE_UNREACHABLE', message: errorMessage(err) };
}

/**
 * Whether a capture that could not open `source` deserves another attempt.
 *
 * - never: ERR_FFMPEG_MISSING, ERR_CONFIG, ERR_SOURCE_NOT_FOUND, and a Linux webcam whose device
 *   node does not exist and never did deliver (capture reports that one as
 *   ERR_SOURCE_UNREACHABLE "webcam <dev> not found"; the device is checked here, not the
 *   message). A camera that was live before (`wasLive`) and whose node is gone was unplugged:
 *   that one is retried, so it comes back when it is plugged in again.
 * - rtsp: every other error (cameras reboot, networks drop, servers restart)
 * - webcam and file: ERR_SOURCE_UNREACHABLE and ERR_SOURCE_UNREADABLE (a busy device, a file
 *   still being written); anything else is not retried
 */
export function isRetryableOpenError(source: VideoSource, err: unknown, options: { wasLive?: boolean } = {}): boolean {
  const { code } = captureFailure(err);
  if (NEVER_RETRIED.has(code) || (!options.wasLive && webcamDeviceMissing(source))) return false;
  if (source.type === 'rtsp') return true;
  return code === 'ERR_SOURCE_UNREACHABLE' || code === 'ERR_SOURCE_UNREADABLE';
}

/** True for a Linux (v4l2) webcam whose device node is not there; other platforms cannot tell. */
export function webcamDeviceMissing(source: VideoSource): boolean {
  if (source.type !== 'webcam' || (source.platform ?? process.platform) !== 'linux') return false;
  return !statSync(webcamDevice(source) ?? '/dev/video0', { throwIfNoEntry: false });
}
