import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameEvent, WireEvent } from '../../../pipeline/events/wire-event.ts';
import type { BusRunSummary } from '../../../pipeline/runners/capture-publisher.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { TestRedisServer } from '../../helpers/redis-server.ts';
import { WorkerProcess } from '../../helpers/worker-process.ts';
import { tempDir } from '../../helpers/paths.ts';
import { buildTestsrcClip, zeroMiddle } from '../../helpers/damaged-clip.ts';

// The capture worker's --json summary over Redis: what the sinks delivered for its stream, with
// the source's integrity, however often the sinks worker restarted. Real worker processes.
const tmp = tempDir('es-capture-summary-');
const redis = await TestRedisServer.start(tmp.dir);
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 10, secondsPerPhoto: 1.5 });
const N = (await probeVideo({ type: 'file', path: clip })).frameCount!;
const events = join(tmp.dir, 'events.jsonl');
// Short job locks: the jobs a killed sinks worker held go back to the queue within seconds.
const configFile = join(tmp.dir, 'stack.yaml');
writeFileSync(configFile, 'bus:\n  jobLockSeconds: 4\n');
const common = ['--redis', redis.url, '--prefix', 'es-summary', '--log-level', 'info', '--config', configFile, '--metrics-port', '0'];
const workers: WorkerProcess[] = [];

function worker(name: string, stages: string[], extra: string[] = []): WorkerProcess {
  const w = new WorkerProcess(name, [...stages, ...common, ...extra], { cwd: tmp.dir });
  workers.push(w);
  return w;
}

const sinks = () => worker('sinks', ['sinks'], ['--events', events]);

test.before(async () => {
  sinks();
  worker('detector', ['detector']);
  worker('classifier', ['classifier']);
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

function frameEvents(cameraId: string): FrameEvent[] {
  return cameraEvents(cameraId).filter((e): e is FrameEvent => e.type === 'frame');
}

/** Waits until the sinks worker has written `n` frame events of the camera (its file is the outcome watched). */
async function framesWritten(cameraId: string, n: number): Promise<void> {
  while (frameEvents(cameraId).length < n) await new Promise((r) => setTimeout(r, 100));
}

/** `worker capture --file <video> --json` as camera `cameraId`; `during` runs while frames flow. */
async function replay(video: string, cameraId: string, during?: () => Promise<void>): Promise<BusRunSummary> {
  const capture = worker(`capture-${cameraId}`, ['capture'], ['--file', video, '--camera-id', cameraId, '--json']);
  const duringDone = during?.();
  const exit = await capture.exited;
  await duringDone;
  assert.is(exit.code, 0, `capture exited ${exit.code}: ${capture.stderr.slice(-1500)}`);
  return JSON.parse(capture.stdout.trim().split('\n').pop()!) as BusRunSummary;
}

test('a clip damaged in the middle: the capture worker exits 0 and its summary and the stream-end event report the loss', async () => {
  const clean = await buildTestsrcClip(join(tmp.dir, 'testsrc.mp4'), { frames: 100, fps: 30, width: 160, height: 120 });
  const damaged = zeroMiddle(clean, join(tmp.dir, 'damaged.mp4'), 8 * 1024);
  const summary = await replay(damaged, 'damaged');
  assert.equal(summary.end, { reason: 'eof' });
  const integrity = summary.integrity!;
  assert.ok(integrity.decodeErrors > 0 && integrity.ptsGaps >= 1, JSON.stringify(integrity));
  assert.is(summary.frames + integrity.framesMissing, 100);
  assert.is(frameEvents('damaged').length, summary.frames);
  const end = cameraEvents('damaged').at(-1);
  assert.is(end?.type, 'stream-end');
  assert.equal(end?.type === 'stream-end' ? end.integrity : undefined, integrity);
  const capture = workers.find((w) => w.name === 'capture-damaged')!;
  assert.ok(capture.logs.some((l) => l.msg === 'presentation time jumps: frames missing from the source' && l.level === 40), 'the gap was logged at warn');
});

test('the sinks worker killed (SIGKILL) mid-replay and restarted: the summary still describes the whole stream, every frame delivered', async () => {
  let writtenAtKill = 0;
  let lastSeqAtKill = -1;
  const summary = await replay(clip, 'restart', async () => {
    await framesWritten('restart', 20);
    await workers.find((w) => w.name === 'sinks' && w.child.exitCode === null && w.child.signalCode === null)!.kill('SIGKILL');
    writtenAtKill = frameEvents('restart').length;
    lastSeqAtKill = frameEvents('restart').at(-1)!.seq;
    await sinks().ready();
  });
  assert.ok(writtenAtKill < N, `killed mid-stream (${writtenAtKill} of ${N} frames out)`);
  assert.equal(
    [summary.cameraId, summary.source, summary.width, summary.height, summary.sourceFps, summary.frames, summary.lost, summary.end],
    ['restart', clip, 320, 240, 10, N, 0, { reason: 'eof' }],
  );
  assert.equal(summary.integrity, { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 });
  const all = frameEvents('restart');
  const seqs = all.map((e) => e.seq);
  assert.equal([...new Set(seqs)], Array.from({ length: N }, (_, i) => i), 'every frame reached the sink, in order');
  // The kill comes right after a frame is written, so it may land in the one window the sinks
  // have (an event written, its checkpoint not yet): that frame, and only it, is written again.
  const repeated = seqs.filter((seq, i) => seqs.indexOf(seq) !== i);
  assert.ok(repeated.length === 0 || (repeated.length === 1 && repeated[0] === lastSeqAtKill), `repeated ${repeated} (last written at the kill: ${lastSeqAtKill})`);
  // The counts span both sinks workers and count each frame once: they agree with what reached the file.
  const frames = all.filter((e, i) => seqs.indexOf(e.seq) === i);
  assert.ok(frames.some((e) => e.faces.length > 0), 'faces found');
  assert.is(summary.framesWithFaces, frames.filter((e) => e.faces.length > 0).length);
  assert.is(summary.faces, frames.reduce((n, e) => n + e.faces.length, 0));
  const list = cameraEvents('restart');
  assert.is(list.filter((e) => e.type === 'stream-start').length, 1);
  assert.is(list.at(-1)?.type, 'stream-end');
});

test.run();
