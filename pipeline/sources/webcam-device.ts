import type { WebcamVideoSource } from './video-source.ts';

/**
 * The device a webcam source opens: the configured one, or the platform default
 * (`/dev/video0` on Linux, avfoundation index `0` on macOS). Windows (dshow) has no default
 * name, so `undefined` is returned there and the caller must report it.
 */
export function webcamDevice(source: WebcamVideoSource): string | undefined {
  if (source.device) return source.device;
  const platform = source.platform ?? process.platform;
  if (platform === 'darwin') return '0';
  if (platform === 'win32') return undefined;
  return '/dev/video0';
}
