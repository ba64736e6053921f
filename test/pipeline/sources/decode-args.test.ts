import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { decodeArgs, decodeCommand } from '../../../pipeline/sources/decode-args.ts';
import { ffmpegCommand } from '../../../pipeline/sources/fluent-command.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-decode-args-');
test.after(() => tmp.cleanup());

test('file: source input, first video stream only, passthrough timing, showinfo, fixed-size BGR24 on stdout', () => {
  assert.equal(decodeArgs({ type: 'file', path: '/v/a.mp4' }, { width: 320, height: 240 }), [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info',
    '-i', '/v/a.mp4',
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', 'showinfo=checksum=0,scale=320:240',
    '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1',
  ]);
});

test('rtsp: low-latency input flags come before the input', () => {
  const args = decodeArgs({ type: 'rtsp', url: 'rtsp://cam/live' }, { width: 64, height: 48 });
  assert.equal(args.slice(5, 15), ['-fflags', 'nobuffer', '-flags', 'low_delay', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', 'rtsp://cam/live']);
});

test('fluent-ffmpeg builds exactly these arguments from decodeCommand', () => {
  for (const source of [{ type: 'file', path: '/v/a b.mp4' }, { type: 'rtsp', url: 'rtsp://cam/live' }, { type: 'webcam', platform: 'linux' }] as const) {
    const { inputOptions, input, outputOptions } = decodeCommand(source, { width: 32, height: 24 });
    const command = ffmpegCommand('ffmpeg', { source: input }).inputOptions(inputOptions).outputOptions(outputOptions).output('pipe:1');
    assert.equal(command._getArguments(), decodeArgs(source, { width: 32, height: 24 }));
  }
});

test('ffmpeg accepts the arguments: one showinfo line and one frame of bytes per frame', async () => {
  const clip = join(tmp.dir, 'clip.mp4');
  await buildDemoClip({ outPath: clip, width: 64, height: 48, fps: 10, secondsPerPhoto: 0.5 });
  const out = join(tmp.dir, 'frames.bgr');
  const args = decodeArgs({ type: 'file', path: clip }, { width: 32, height: 24 });
  const result = await runProcess('ffmpeg', [...args.slice(0, -1), '-y', out]);
  assert.is(result.code, 0, result.stderr);
  assert.is(statSync(out).size, 30 * 32 * 24 * 3);
  assert.is(result.stderr.match(/Parsed_showinfo_0 @ \S+\] \[info\] n:/g)?.length, 30);
});

test.run();
