/** A video file on disk (anything ffmpeg can demux: mp4, mkv, avi, ...). */
export interface FileVideoSource {
  type: 'file';
  path: string;
}

/**
 * A local camera. `device` defaults per platform: `/dev/video0` (Linux, v4l2), `0` (macOS,
 * avfoundation index); on Windows (dshow) it is the camera's name and must be given.
 * `width` x `height` at `fps` is requested from the camera (defaults 640 x 480 at 30 fps,
 * which nearly every camera offers).
 */
export interface WebcamVideoSource {
  type: 'webcam';
  device?: string;
  /** Which capture API to use; defaults to the running platform (`process.platform`). */
  platform?: NodeJS.Platform;
  width?: number;
  height?: number;
  fps?: number;
}

/** A network camera. `url` may carry credentials (`rtsp://user:pass@host/...`); they never reach logs. */
export interface RtspVideoSource {
  type: 'rtsp';
  url: string;
  /** Defaults to 'tcp': no packet loss on lossy networks, at the cost of a little latency. */
  transport?: 'tcp' | 'udp';
  /** Socket I/O timeout in milliseconds (default 5000): a dead camera fails instead of hanging. */
  timeoutMs?: number;
}

/** Where capture reads video from. */
export type VideoSource = FileVideoSource | WebcamVideoSource | RtspVideoSource;
