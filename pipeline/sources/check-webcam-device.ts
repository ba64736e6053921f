import { realpathSync, statSync } from 'node:fs';
import { EmotionStreamError } from '../../common/errors.ts';
import { webcamDeviceProblem } from '../../config/webcam-device-rule.ts';
import type { VideoSource } from './video-source.ts';
import { webcamDevice } from './webcam-device.ts';

/** What a V4L2 link (/dev/v4l/by-id/...) must lead to. */
const V4L2_NODE = /^\/dev\/video\d+$/;

/**
 * Refuses a webcam that cannot be a camera, before it is started, so a wrong device is one clear
 * error instead of a camera retrying for ever: the device's form for its platform (see
 * webcamDeviceProblem), and on Linux that the node exists, is (or links to) /dev/video<N> and is
 * a character device. Run it when a camera is added or a command starts, not on reconnects: a
 * camera unplugged later is a missing node that the reconnect policy waits for. Files and RTSP
 * streams pass (they have checks of their own).
 *
 * @throws EmotionStreamError ERR_CONFIG with the device in its message and context.
 */
export function checkWebcamDevice(source: VideoSource): void {
  if (source.type !== 'webcam') return;
  const platform = source.platform ?? process.platform;
  const device = webcamDevice(source);
  if (device === undefined) {
    throw refused('webcam device name is required on Windows (list them with: ffmpeg -list_devices true -f dshow -i dummy)', '');
  }
  const problem = webcamDeviceProblem(device, platform);
  if (problem) throw refused(`webcam device ${problem}`, device);
  if (platform === 'darwin' || platform === 'win32') return; // names: only ffmpeg can tell whether such a camera is there
  const stat = statSync(device, { throwIfNoEntry: false });
  if (!stat) throw refused(`webcam device ${device} does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices)`, device);
  const target = realpathSync(device);
  if (!V4L2_NODE.test(target)) throw refused(`webcam device ${device} leads to ${target}, not to a /dev/video<N> capture device`, device);
  if (!stat.isCharacterDevice()) throw refused(`webcam device ${device} is not a character device (a V4L2 camera is one)`, device);
}

function refused(message: string, device: string): EmotionStreamError {
  return new EmotionStreamError('ERR_CONFIG', message, { context: { device } });
}
