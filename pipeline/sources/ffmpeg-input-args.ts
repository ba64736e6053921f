import { EmotionStreamError } from '../../common/errors.ts';
import type { RtspVideoSource, VideoSource, WebcamVideoSource } from './video-source.ts';
import { webcamDevice } from './webcam-device.ts';

const DEFAULT_WEBCAM = { width: 640, height: 480, fps: 30 } as const;
const DEFAULT_RTSP_TIMEOUT_MS = 5000;

/**
 * The ffmpeg (or ffprobe) input arguments that open `source`, ending with `-i <input>`.
 *
 * - file: `-i <path>`
 * - webcam: v4l2 on Linux, avfoundation on macOS, dshow on Windows, each with `-framerate`
 *   and `-video_size` (defaults 30 fps, 640x480)
 * - rtsp: `-rtsp_transport tcp|udp -timeout <µs>` (ffmpeg >= 5 names the socket timeout
 *   `-timeout`, in microseconds)
 *
 * @throws ERR_CONFIG for a Windows webcam without a device name (dshow has no default camera).
 */
export function ffmpegInputArgs(source: VideoSource): string[] {
  switch (source.type) {
    case 'file':
      return ['-i', source.path];
    case 'webcam':
      return webcamArgs(source);
    case 'rtsp':
      return rtspArgs(source);
  }
}

function webcamArgs(source: WebcamVideoSource): string[] {
  const platform = source.platform ?? process.platform;
  const device = webcamDevice(source);
  const width = source.width ?? DEFAULT_WEBCAM.width;
  const height = source.height ?? DEFAULT_WEBCAM.height;
  const mode = ['-framerate', String(source.fps ?? DEFAULT_WEBCAM.fps), '-video_size', `${width}x${height}`];
  if (platform === 'darwin') {
    // avfoundation takes "<video>:<audio>"; "none" keeps the microphone closed.
    return ['-f', 'avfoundation', ...mode, '-i', `${device}:none`];
  }
  if (platform === 'win32') {
    if (!device) {
      throw new EmotionStreamError(
        'ERR_CONFIG',
        'webcam device name is required on Windows (list them with: ffmpeg -list_devices true -f dshow -i dummy)',
        { context: { platform } },
      );
    }
    return ['-f', 'dshow', ...mode, '-i', `video=${device}`];
  }
  return ['-f', 'v4l2', ...mode, '-i', device ?? '/dev/video0'];
}

function rtspArgs(source: RtspVideoSource): string[] {
  const timeoutUs = Math.round((source.timeoutMs ?? DEFAULT_RTSP_TIMEOUT_MS) * 1000);
  return ['-rtsp_transport', source.transport ?? 'tcp', '-timeout', String(timeoutUs), '-i', source.url];
}
