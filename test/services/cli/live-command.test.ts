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
writeFileSync(configFile, 'cameraId: door\nsource:\n  type: webcam\n  device: /dev/video-door\n  width: 640\n');

test('without --webcam/--rtsp the config file\'s camera is used', async () => {
  const r = await cli('live', '--config', configFile);
  assert.is(r.timedOut, false);
  assert.is(r.code, 1);
  assert.equal(lines(r.stderr), ['emotion-stream: webcam /dev/video-door not found [ERR_SOURCE_UNREACHABLE]']);
});

test('--webcam overrides the file\'s camera', async () => {
  const r = await cli('live', '--config', configFile, '--webcam', '/dev/video-flag');
  assert.equal([r.code, lines(r.stderr)], [1, ['emotion-stream: webcam /dev/video-flag not found [ERR_SOURCE_UNREACHABLE]']]);
});

test('--webcam and --rtsp together are a usage error', async () => {
  const r = await cli('live', '--webcam', '/dev/video0', '--rtsp', 'rtsp://cam/stream');
  assert.is(r.code, 2);
  assert.is(lines(r.stderr)[0], 'emotion-stream: choose --webcam or --rtsp, not both [ERR_USAGE]');
});

test.run();
