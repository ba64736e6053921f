import type { VideoSource } from './video-source.ts';
import { webcamDevice } from './webcam-device.ts';

/**
 * A one-line, log-safe description of a source: the file path, `webcam <device>`, or the RTSP
 * URL with any user name and password removed (URLs end up in logs, events and dashboards).
 */
export function describeSource(source: VideoSource): string {
  switch (source.type) {
    case 'file':
      return source.path;
    case 'webcam':
      return `webcam ${webcamDevice(source) ?? '(no device named)'}`;
    case 'rtsp':
      return stripCredentials(source.url);
  }
}

function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not parseable as a URL (e.g. a bare host): still drop anything before an '@' in the authority.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  }
}
