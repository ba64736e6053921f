import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lines, runCli } from '../../helpers/run-cli.ts';
import { tempDir } from '../../helpers/paths.ts';

// No camera on this machine: each run fails at the device check, before any model loads, which
// is enough to see which camera the command chose.
const tmp = tempDir('es-cli-live-');
test.after(() => tmp.cleanup());
const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, timeoutMs: 30_000 });

const configFile = join(tmp.dir, 'door.yaml');
writeFileSync(configFile, 'cameraId: door\nsource:\n  type: webcam\n  device: /dev/video97\n  width: 640\n');
const regularFile = join(tmp.dir, 'video0');
writeFileSync(regularFile, 'not a camera');
const MISSING = (device: string) => `emotion-stream: webcam device ${device} does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices) [ERR_CONFIG]`;
const NOT_V4L2 = (device: string) =>
  `emotion-stream: invalid configuration: source.device: must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(device)}) [ERR_CONFIG]`;

test('without --webcam/--rtsp the config file\'s camera is used', async () => {
  const r = await cli('live', '--config', configFile);
  assert.is(r.timedOut, false);
  assert.is(r.code, 1);
  assert.equal(lines(r.stderr), [MISSING('/dev/video97')]);
});

test('--webcam overrides the file\'s camera', async () => {
  const r = await cli('live', '--config', configFile, '--webcam', '/dev/video98');
  assert.equal([r.code, lines(r.stderr)], [1, [MISSING('/dev/video98')]]);
});

test('--webcam that cannot be a camera (/dev/zero, a path outside /dev, a regular file): one line, exit 1, nothing retried', async () => {
  for (const device of ['/dev/zero', '../../etc/passwd', regularFile]) {
    const r = await cli('live', '--webcam', device);
    assert.equal([r.code, r.timedOut, lines(r.stderr)], [1, false, [NOT_V4L2(device)]], device);
  }
});

test('--webcam and --rtsp together are a usage error', async () => {
  const r = await cli('live', '--webcam', '/dev/video0', '--rtsp', 'rtsp://cam/stream');
  assert.is(r.code, 2);
  assert.is(lines(r.stderr)[0], 'emotion-stream: choose --webcam or --rtsp, not both [ERR_USAGE]');
});

test.run();
