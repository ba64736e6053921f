import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { lines, runCli, type CliResult } from '../../helpers/run-cli.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-cli-worker-');
test.after(() => tmp.cleanup());
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 5, secondsPerPhoto: 1 });
const FRAMES = (await probeVideo({ type: 'file', path: clip })).frameCount!;
// No EMOTION_STREAM_* from the developer's shell may leak into these runs.
const env = { EMOTION_STREAM_REDIS_URL: '', EMOTION_STREAM_METRICS_PORT: '', EMOTION_STREAM_METRICS_HOST: '' };
const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, timeoutMs: 90_000, env });

function assertOneLine(r: CliResult, code: string, mentions: string[], exitCode = 1): void {
  assert.is(r.timedOut, false, 'no hang');
  assert.is(r.code, exitCode, `exit code; stderr: ${r.stderr}`);
  const first = lines(r.stderr)[0] ?? '';
  assert.match(first, new RegExp(`^emotion-stream: .+ \\[${code}\\]$`));
  for (const text of mentions) assert.ok(first.includes(text), `"${first}" should mention ${text}`);
  assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
}

test('worker: no stage, an unknown stage, and no Redis are usage/config errors', async () => {
  assertOneLine(await cli('worker'), 'ERR_USAGE', ['name the stage'], 2);
  assertOneLine(await cli('worker', 'detecter', '--redis', 'redis://127.0.0.1:6379'), 'ERR_USAGE', ['unknown stage "detecter"', 'detector'], 2);
  assertOneLine(await cli('worker', 'detector'), 'ERR_CONFIG', ['--redis', 'EMOTION_STREAM_REDIS_URL', 'emotion-stream up']);
});

test('worker: Redis not listening is one clear line within seconds, and the password never shows', async () => {
  const port = await freePort();
  const r = await cli('worker', 'detector', '--redis', `redis://:hunter2@127.0.0.1:${port}`);
  assertOneLine(r, 'ERR_BUS', [`127.0.0.1:${port}`]);
  assert.not.match(r.stderr, 'hunter2');
  assert.ok(r.ms < 30_000, `failed after ${r.ms} ms`);
});

test('worker capture: a missing file fails before anything connects', async () => {
  const missing = join(tmp.dir, 'nope.mp4');
  assertOneLine(await cli('worker', 'capture', '--redis', 'redis://127.0.0.1:6379', '--file', missing), 'ERR_SOURCE_NOT_FOUND', [missing]);
});

test('up --file: every stage as workers in one process on the in-memory bus; summary JSON and complete outputs', async () => {
  const events = join(tmp.dir, 'up.jsonl');
  const r = await cli('up', '--file', clip, '--events', events, '--out', join(tmp.dir, 'up.mp4'));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, 'up on the memory bus');
  const summary = JSON.parse(lines(r.stdout).pop()!) as { frames: number; videoFrames: number; lost: number };
  assert.equal([summary.frames, summary.videoFrames, summary.lost], [FRAMES, FRAMES, 0]);
  const written = readFileSync(events, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; seq?: number });
  assert.equal(written.filter((e) => e.type === 'frame').map((e) => e.seq), Array.from({ length: FRAMES }, (_, i) => i));
});

test.run();
