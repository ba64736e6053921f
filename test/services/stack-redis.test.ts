import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameEvent, WireEvent } from '../../pipeline/events/wire-event.ts';
import { createEventValidator } from '../../pipeline/events/validate-event.ts';
import { buildDemoClip } from '../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../pipeline/sources/probe-video.ts';
import { TestRedisServer } from '../helpers/redis-server.ts';
import { WorkerProcess } from '../helpers/worker-process.ts';
import { tempDir } from '../helpers/paths.ts';

// Real worker processes on a test-owned Redis (append-only, so it can be killed and restarted).
const tmp = tempDir('es-stack-redis-');
const redis = await TestRedisServer.start(tmp.dir);
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 10, secondsPerPhoto: 3 });
const N = (await probeVideo({ type: 'file', path: clip })).frameCount!;
const events = join(tmp.dir, 'events.jsonl');
// Short job locks: a killed worker's jobs go to another copy within seconds.
const configFile = join(tmp.dir, 'stack.yaml');
writeFileSync(configFile, 'bus:\n  jobLockSeconds: 4\n');
const common = ['--redis', redis.url, '--prefix', 'es-test', '--log-level', 'info', '--config', configFile, '--metrics-port', '0'];
const env = {};
const workers: WorkerProcess[] = [];

function worker(name: string, stages: string[], extra: string[] = []): WorkerProcess {
  const w = new WorkerProcess(name, [...stages, ...common, ...extra], { cwd: tmp.dir, env });
  workers.push(w);
  return w;
}

test.before(async () => {
  worker('sinks', ['sinks'], ['--events', events]);
  worker('detector-1', ['detector']);
  worker('detector-2', ['detector']);
  worker('classifier-1', ['classifier']);
  worker('classifier-2', ['classifier']);
  await Promise.all(workers.map((w) => w.ready()));
});

test.after(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await redis.kill();
  tmp.cleanup();
});

function cameraEvents(cameraId: string): WireEvent[] {
  if (!existsSync(events)) return [];
  return readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as WireEvent).filter((e) => e.cameraId === cameraId);
}

/** Replays the clip through the running stack as camera `cameraId`; `during` runs while frames flow. */
async function replay(cameraId: string, during?: () => Promise<void>) {
  const video = join(tmp.dir, `${cameraId}.mp4`);
  const capture = worker(`capture-${cameraId}`, ['capture'], ['--file', clip, '--camera-id', cameraId, '--out', video]);
  const duringDone = during?.();
  const exit = await capture.exited;
  await duringDone;
  assert.is(exit.code, 0, `capture exited ${exit.code}: ${capture.stderr.slice(-1500)}`);
  const summary = JSON.parse(capture.stdout.trim().split('\n').pop()!) as { frames: number; lost: number; videoFrames: number; end: { reason: string } };
  return { summary, video };
}

function frameCount(cameraId: string): number {
  return cameraEvents(cameraId).filter((e) => e.type === 'frame').length;
}

/** Waits until the sinks worker has written `n` frame events of the camera. */
async function framesWritten(cameraId: string, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (frameCount(cameraId) < n) {
    if (Date.now() > deadline) throw new Error(`${cameraId}: fewer than ${n} frames after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** start, frames 0..N-1 each exactly once in order, end: what every replay must yield. */
function assertExactlyOnceInOrder(cameraId: string): FrameEvent[] {
  const list = cameraEvents(cameraId);
  assert.is(list[0]?.type, 'stream-start', `${cameraId}: starts with stream-start`);
  assert.is(list[list.length - 1]?.type, 'stream-end', `${cameraId}: ends with stream-end`);
  assert.is(list.filter((e) => e.type === 'stream-start').length, 1);
  const frames = list.filter((e): e is FrameEvent => e.type === 'frame');
  assert.equal(frames.map((e) => e.seq), Array.from({ length: N }, (_, i) => i), `${cameraId}: every frame once, in order`);
  return frames;
}

/** frames_out_total of `stage` scraped from a worker process's own /metrics. */
async function framesOut(name: string, stage: string): Promise<number> {
  const w = workers.find((x) => x.name === name)!;
  const { port } = await w.waitForLog((l) => l.msg === 'serving /metrics and /healthz') as { port: number };
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`emotion_stream_frames_out_total\\{[^}]*stage="${stage}"[^}]*\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

async function videoFrames(path: string): Promise<number> {
  return (await probeVideo({ type: 'file', path })).frameCount!;
}

test('2 detectors + 2 classifiers on Redis: every frame exactly once and in order at the sinks, annotated video complete', async () => {
  const { summary, video } = await replay('parallel');
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  assert.is(summary.end.reason, 'eof');
  const frames = assertExactlyOnceInOrder('parallel');
  assert.ok(frames.some((e) => e.faces.length > 0), 'faces found');
  assert.is(await videoFrames(video), N);
  // Tracking runs in the sinks worker, after the resequencer: every face has its person's id and
  // stable emotion, every track starts once and ends once, and every event is valid v2.
  const all = cameraEvents('parallel');
  const validate = createEventValidator();
  for (const e of all) assert.ok(validate(e).valid, `${e.type}: ${JSON.stringify(validate(e))}`);
  const faces = frames.flatMap((e) => e.faces);
  assert.ok(faces.every((f) => Number.isInteger(f.trackId) && f.stable !== undefined), 'every face tracked');
  const ids = new Set(faces.map((f) => f.trackId as number));
  const started = all.filter((e) => e.type === 'track-start').map((e) => (e as { trackId: number }).trackId);
  const ended = all.filter((e) => e.type === 'track-end').map((e) => (e as { trackId: number }).trackId);
  assert.equal([...started].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'one track-start per track');
  assert.equal([...ended].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'one track-end per track');
  // Both copies of each stage did part of the work (their own /metrics say how much).
  for (const stage of ['detector', 'classifier']) {
    const counts = await Promise.all([1, 2].map((i) => framesOut(`${stage}-${i}`, stage)));
    assert.ok(counts.every((n) => n > 0), `both ${stage}s took frames: ${counts}`);
    assert.is(counts[0] + counts[1], N, `${stage}s together handled each frame once`);
  }
});

test('a classifier killed with SIGKILL mid-stream: the other picks up its jobs, the replay is still exactly once', async () => {
  const victim = workers.find((w) => w.name === 'classifier-1')!;
  let writtenAtKill = 0;
  const { summary } = await replay('kill-classifier', async () => {
    await framesWritten('kill-classifier', 20);
    await victim.kill('SIGKILL');
    writtenAtKill = frameCount('kill-classifier');
  });
  assert.ok(writtenAtKill < N, `killed mid-stream (${writtenAtKill} of ${N} frames out)`);
  assert.is(victim.child.signalCode, 'SIGKILL');
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  assertExactlyOnceInOrder('kill-classifier');
});

test('Redis killed and restarted mid-stream: every worker reconnects by itself and the replay is still exactly once', async () => {
  let writtenAtKill = 0;
  const { summary } = await replay('redis-restart', async () => {
    await framesWritten('redis-restart', 20);
    await redis.kill();
    writtenAtKill = frameCount('redis-restart');
    await new Promise((r) => setTimeout(r, 1000));
    await redis.launch();
  });
  assert.ok(writtenAtKill < N, `Redis killed mid-stream (${writtenAtKill} of ${N} frames out)`);
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  assertExactlyOnceInOrder('redis-restart');
  for (const w of workers.filter((x) => !x.name.startsWith('capture') && x.name !== 'classifier-1')) {
    assert.is(w.child.exitCode, null, `${w.name} is still running`);
  }
});

test('SIGTERM: workers drain and exit 0', async () => {
  const running = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  await Promise.all(running.map((w) => w.kill('SIGTERM')));
  for (const w of running) assert.is(w.child.exitCode, 0, `${w.name} exit code (stderr: ${w.stderr.slice(-500)})`);
});

test.run();
