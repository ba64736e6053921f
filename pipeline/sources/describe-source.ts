import { redactUrl } from '../../common/redact-url.ts';
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
      return redactUrl(source.url, { dropUser: true });
  }
}
