/** A V4L2 capture node, or one of udev's stable links to it. */
const LINUX_DEVICE = /^\/dev\/video\d{1,3}$/;
const LINUX_LINK = /^\/dev\/v4l\/by-(?:id|path)\/[A-Za-z0-9_.:@+-]+$/;
/** Longest camera name accepted on macOS and Windows (real ones are a few dozen characters). */
const MAX_NAME_LENGTH = 128;

/**
 * What is wrong with a webcam `device` for the capture API of `platform`, as one line that ends
 * a message; undefined when its form is right. Only the form is checked here (config parsing
 * must not touch the disk); pipeline/sources/check-webcam-device.ts also checks the device node.
 *
 * - linux (and other v4l2 platforms): `/dev/video<N>`, or a `/dev/v4l/by-id/...` or
 *   `/dev/v4l/by-path/...` link; any other path (`/dev/zero`, `../../etc/passwd`) is refused
 * - darwin: an avfoundation index (`0`) or device name; win32: a dshow device name (dshow's
 *   `@device_...` alternative names may hold '\'). Neither is a path, and neither holds ':'
 *   (ffmpeg reads `<video>:<audio>` and `video=<name>:audio=<name>`) or '"'.
 */
export function webcamDeviceProblem(device: string, platform: NodeJS.Platform): string | undefined {
  if (platform === 'darwin') return nameProblem(device, 'an avfoundation device index (0, 1, ...) or name', 'ffmpeg -f avfoundation -list_devices true -i ""');
  if (platform === 'win32') return nameProblem(device, 'a dshow device name', 'ffmpeg -list_devices true -f dshow -i dummy');
  if (LINUX_DEVICE.test(device) || LINUX_LINK.test(device)) return undefined;
  return `must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(device)})`;
}

function nameProblem(device: string, what: string, listCommand: string): string | undefined {
  const alternativeName = device.startsWith('@device_'); // dshow's unique names: @device_pnp_\\?\usb#vid_...
  const path = device.includes('/') || (!alternativeName && device.includes('\\')) || device.startsWith('.');
  const bad = device.trim() === '' || device.length > MAX_NAME_LENGTH || /[:"\u0000-\u001f\u007f]/.test(device);
  if (!path && !bad) return undefined;
  return `must be ${what}, not a path, without ':' or '"', at most ${MAX_NAME_LENGTH} characters (list them with: ${listCommand}; got ${JSON.stringify(device)})`;
}
