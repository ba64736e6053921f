import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FrameEvent, StreamEndEvent, WireEvent } from '../../pipeline/events/wire-event.ts';
import { CAPTURE_LOST } from '../../pipeline/runners/open-stream-marker.ts';
import { longestPause, RedisStackHarness, reportStall, summaryOf } from '../helpers/redis-stack.ts';
import { WsTestClient } from '../pipeline/events/ws-test-client.ts';

// SIGKILL of each stage kind mid-stream on the default job locks (bus.jobLockSeconds and friends):
// every frame still reaches the sinks exactly once and in order; each test prints how long the
// stream stood still (docs/scale-out.md, Fail-over). The classifier's kill is in
// stack-redis.test.ts, the trainer's in workers/trainer-redelivery.test.ts.
// 90 frames a replay: every kill comes after 20 frames are out, with most of the stream still to go.
const stack = await RedisStackHarness.start('failover', { secondsPerPhoto: 1.5 });
const N = stack.frames;

test.before(async () => {
  stack.sinks('sinks-1');
  stack.worker('detector-1', ['detector']);
  stack.worker('detector-2', ['detector']);
  stack.worker('classifier-1', ['classifier']);
  stack.worker('gateway-1', ['gateway'], ['--ws-port', '0']);
  stack.worker('gateway-2', ['gateway'], ['--ws-port', '0']);
  await Promise.all(stack.workers.map((w) => w.ready()));
});

test.after(() => stack.stop());

/** Kills `victim` once `cameraId` has 20 frames out; returns when it was killed. */
async function killMidStream(cameraId: string, victim: string): Promise<number> {
  await stack.framesWritten(cameraId, 20);
  await stack.named(victim).kill('SIGKILL');
  assert.ok(stack.frameCount(cameraId) < N, `${victim} killed mid-stream`);
  return Date.now();
}

/** Jobs the surviving copies took over from a dead one (their 'job stalled' warnings). */
function takenOver(names: string[]): number {
  return names.reduce((n, name) => n + stack.named(name).logs.filter((l) => String(l.msg).startsWith('job stalled')).length, 0);
}

test('a detector SIGKILLed mid-stream: the other detector takes its jobs over, every frame once and in order', async () => {
  const { summary } = await stack.replay('kill-detector', () => killMidStream('kill-detector', 'detector-1').then(() => undefined));
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  const frames = stack.assertExactlyOnceInOrder(stack.cameraEvents('kill-detector'), 'kill-detector');
  reportStall('detector SIGKILL', longestPause(frames), `${takenOver(['detector-2'])} jobs handed to detector-2`);
});

test('the sinks worker SIGKILLed mid-stream and restarted: it carries on after the last frame it emitted, nothing twice', async () => {
  let killedAt = 0;
  let readyAt = 0;
  const { summary } = await stack.replay('kill-sinks', async () => {
    killedAt = await killMidStream('kill-sinks', 'sinks-1');
    const next = stack.sinks('sinks-2');
    await next.ready();
    readyAt = Date.now();
  });
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  const frames = stack.assertExactlyOnceInOrder(stack.cameraEvents('kill-sinks'), 'kill-sinks');
  const firstAfter = frames.find((e) => e.emittedAt > killedAt)!;
  reportStall('sinks SIGKILL + restart', longestPause(frames),
    `restart took ${((readyAt - killedAt) / 1000).toFixed(2)} s, first frame ${((firstAfter.emittedAt - readyAt) / 1000).toFixed(2)} s after the new worker was ready`);
});

test('a gateway SIGKILLed mid-stream: the sinks go on, a client of the other gateway gets every frame once and in order', async () => {
  const port = (await stack.named('gateway-2').waitForLog((l) => l.msg === 'gateway serving events and the camera API')).port as number;
  const { client } = await WsTestClient.connect(`ws://127.0.0.1:${port}/events`);
  try {
    const { summary } = await stack.replay('kill-gateway', () => killMidStream('kill-gateway', 'gateway-1').then(() => undefined));
    assert.is(summary.frames, N);
    const frames = stack.assertExactlyOnceInOrder(stack.cameraEvents('kill-gateway'), 'kill-gateway');
    await client.waitFor((m) => m.type === 'stream-end' && m.cameraId === 'kill-gateway', 30_000);
    const overWs = client.received.filter((m) => m.cameraId === 'kill-gateway') as unknown as WireEvent[];
    stack.assertExactlyOnceInOrder(overWs, 'kill-gateway over the WebSocket of gateway-2');
    reportStall('gateway SIGKILL', longestPause(frames));
  } finally {
    await client.close();
  }
});

test('a capture SIGKILLed mid-replay and restarted: its stream ends (ERR_CAPTURE_LOST) with the frames it sent, then a new stream replays the file', async () => {
  const first = stack.capture('kill-capture', 'capture-1');
  const killedAt = await killMidStream('kill-capture', 'capture-1');
  const second = stack.capture('kill-capture', 'capture-2');
  const exit = await second.exited;
  assert.is(exit.code, 0, `capture-2 exited ${exit.code}: ${second.stderr.slice(-1500)}`);
  assert.is(first.child.signalCode, 'SIGKILL');
  const summary = summaryOf(second);
  assert.is(summary.frames, N);
  assert.is(summary.lost, 0);
  assert.is(summary.end.reason, 'eof');

  const all = stack.cameraEvents('kill-capture');
  const secondStart = all.findIndex((e, i) => i > 0 && e.type === 'stream-start');
  assert.ok(secondStart > 0, 'a second stream started');
  const [old, replacement] = [all.slice(0, secondStart), all.slice(secondStart)];
  // The dead capture's stream: its end says why and how many frames it had sent; those came out
  // once and in order (one frame may be missing: one sent to the store but not queued when killed,
  // skipped after bus.gapTimeoutSeconds).
  const end = old[old.length - 1] as StreamEndEvent;
  assert.is(end.type, 'stream-end');
  assert.is(end.reason, 'error');
  assert.is(end.error?.code, CAPTURE_LOST);
  const oldFrames = old.filter((e): e is FrameEvent => e.type === 'frame');
  assert.ok(oldFrames.length >= end.frames - 1 && oldFrames.length >= 20, `${oldFrames.length} of the ${end.frames} frames sent came out`);
  stack.assertExactlyOnceInOrder(old, 'the stream of the killed capture', oldFrames.length);
  const frames = stack.assertExactlyOnceInOrder(replacement, 'the stream of the restarted capture');
  const pause = { longestMs: frames[0].emittedAt - killedAt, medianMs: longestPause(frames).medianMs };
  const logTime = (msg: string) => ((second.logs.find((l) => l.msg === msg)?.time as number) - killedAt) / 1000;
  reportStall('capture SIGKILL + restart', pause, `from the kill: capture-2 ready ${logTime('workers ready').toFixed(2)} s, old stream ended (${end.error?.code}, ${end.frames} frames) ${((end.endedAt - killedAt) / 1000).toFixed(2)} s, new stream started ${logTime('stream started on the bus').toFixed(2)} s, its first frame out ${(pause.longestMs / 1000).toFixed(2)} s`);
});

test('SIGTERM: the workers still running drain and exit 0', async () => {
  const running = stack.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  await Promise.all(running.map((w) => w.kill('SIGTERM')));
  for (const w of running) assert.is(w.child.exitCode, 0, `${w.name} exit code (stderr: ${w.stderr.slice(-500)})`);
});

test.run();
