import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { webcamDeviceProblem } from '../../config/webcam-device-rule.ts';
import { loadPipelineConfig, loadStackConfig } from '../../config/load.ts';
import { isEmotionStreamError } from '../../common/errors.ts';

test('linux: /dev/video<N> and /dev/v4l/by-id|by-path links pass; any other path is refused with what was given', () => {
  for (const device of ['/dev/video0', '/dev/video12', '/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0', '/dev/v4l/by-path/pci-0000:00:14.0-usb-0:2:1.0-video-index0']) {
    assert.is(webcamDeviceProblem(device, 'linux'), undefined, device);
  }
  for (const device of ['/dev/zero', '../../etc/passwd', '/etc/passwd', '/tmp/video0', 'video0', '0', '', '/dev/video', '/dev/video0/../zero', '/dev/v4l/by-id/../../zero', '/dev/v4l/by-id/', '/dev/v4l/by-uuid/x']) {
    const problem = webcamDeviceProblem(device, 'linux');
    assert.is(problem, `must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(device)})`, device);
  }
  assert.ok(webcamDeviceProblem('/dev/zero', 'freebsd'), 'other platforms use v4l2 too');
});

test('macOS: an avfoundation index or name; Windows: a dshow name; never a path, a ":" or a quote', () => {
  for (const device of ['0', '1', 'FaceTime HD Camera', 'OBS Virtual Camera']) assert.is(webcamDeviceProblem(device, 'darwin'), undefined, device);
  for (const device of ['HD Webcam C270', 'Integrated Camera', '@device_pnp_\\\\?\\usb#vid_046d&pid_0825&mi_00#6&2b3e6a1&0&0000#{65e8773d-8f56-11d0-a3b9-00a0c9223196}\\global']) {
    assert.is(webcamDeviceProblem(device, 'win32'), undefined, device);
  }
  for (const platform of ['darwin', 'win32'] as const) {
    for (const device of ['/dev/video0', '../../etc/passwd', 'C:\\Windows\\win.ini', '..\\secret', 'cam:audio=mic', 'a"b', '', '  ', 'x'.repeat(129), 'cam\nera']) {
      const problem = webcamDeviceProblem(device, platform);
      assert.ok(problem?.includes('not a path') && problem.includes(JSON.stringify(device)), `${platform} ${JSON.stringify(device)}: ${problem}`);
    }
  }
  assert.match(webcamDeviceProblem('/dev/video0', 'win32')!, 'ffmpeg -list_devices true -f dshow -i dummy');
  assert.match(webcamDeviceProblem('/dev/video0', 'darwin')!, 'ffmpeg -f avfoundation -list_devices true -i ""');
});

// The rule is part of the schema: a configured camera, a capture source and POST /cameras get it.
test('config: a bad webcam device is a config error naming the field, for the source and for configured cameras', () => {
  const rule = process.platform === 'linux' ? 'must be a V4L2 capture device' : 'not a path';
  for (const load of [
    () => loadPipelineConfig({ overrides: { source: { type: 'webcam', device: '/dev/zero' } } }),
    () => loadStackConfig({ overrides: { cameras: [{ id: 'ok', source: { type: 'file', path: 'a.mp4' } }, { id: 'door', source: { type: 'webcam', device: '../../etc/passwd' } }] } }),
  ]) {
    try {
      load();
      assert.unreachable('accepted');
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_CONFIG', String(err));
      assert.match((err as Error).message, /(source|cameras\.1\.source)\.device: /);
      assert.match((err as Error).message, rule);
    }
  }
});

test.run();
