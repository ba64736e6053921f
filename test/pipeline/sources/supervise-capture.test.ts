import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CameraStateChange } from '../../../pipeline/cameras/camera-types.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { FlowGate } from '../../../pipeline/flow/flow-gate.ts';
import { InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import type { FrameMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import {
  backoffDelay,
  DEFAULT_RECONNECT,
  superviseCapture,
  type ReconnectPolicy,
  type SuperviseCaptureOptions,
} from '../../../pipeline/sources/supervise-capture.ts';
import type { VideoSource } from '../../../pipeline/sources/video-source.ts';
import { tempDir } from '../../helpers/paths.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { TestRtspServer, withKeyframesEvery, type RtspPublisher } from '../../helpers/rtsp-server.ts';

const tmp = tempDir('es-supervise-');
/** Short waits so reconnects happen within a test; exact delays (random 0.5 = no jitter). */
const FAST: Partial<ReconnectPolicy> = { initialDelayMs: 200, maxDelayMs: 1000, multiplier: 2, jitter: 0.2, stallTimeoutMs: 2000 };
const NO_JITTER = () => 0.5;

// ---------------------------------------------------------------------------------------------
// backoffDelay

test('backoffDelay: attempt 1 waits the initial delay, then grows by the multiplier', () => {
  const policy = { ...DEFAULT_RECONNECT, jitter: 0 };
  assert.equal([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, Math.random)), [1000, 2000, 4000, 8000, 16000]);
  assert.is(backoffDelay(0, policy, Math.random), 1000, 'attempts below 1 count as the first');
  assert.equal([1, 2, 3].map((n) => backoffDelay(n, { ...policy, multiplier: 3, initialDelayMs: 100 }, Math.random)), [100, 300, 900]);
});

test('backoffDelay: capped at maxDelayMs, jitter included, even for huge attempt numbers', () => {
  const policy = { ...DEFAULT_RECONNECT, jitter: 0.2 };
  assert.is(backoffDelay(6, policy, NO_JITTER), 30000);
  assert.is(backoffDelay(1000, policy, NO_JITTER), 30000);
  assert.is(backoffDelay(100, policy, () => 0.999), 30000, 'positive jitter never pushes past the cap');
  assert.is(backoffDelay(100, policy, () => 0), 24000, 'negative jitter still applies at the cap');
});

test('backoffDelay: jitter stays within +-jitter of the base delay', () => {
  const policy = { ...DEFAULT_RECONNECT, jitter: 0.2 };
  assert.is(backoffDelay(2, policy, () => 0), 1600);
  assert.is(backoffDelay(2, policy, NO_JITTER), 2000);
  assert.is(backoffDelay(2, policy, () => 0.999999), 2400);
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(3, policy, Math.random);
    assert.ok(delay >= 3200 && delay <= 4800, `attempt 3 delay ${delay} outside 3200..4800`);
  }
  assert.is(backoffDelay(3, { ...policy, jitter: 1 }, () => 0), 0, 'jitter 1 may go down to no wait at all');
});

test('superviseCapture: an invalid policy is refused with ERR_CONFIG when called', () => {
  const base = { source: { type: 'rtsp', url: 'rtsp://127.0.0.1:1/x' } as VideoSource, cameraId: 'c', frameStore: new InMemoryFrameStore(), gate: new FlowGate(1), mode: 'live' as const };
  for (const reconnect of [{ multiplier: 0.5 }, { jitter: 1.5 }, { initialDelayMs: -1 }, { stallTimeoutMs: 0 }, { maxDelayMs: Number.NaN }]) {
    try {
      superviseCapture({ ...base, reconnect });
      assert.unreachable(`accepted ${JSON.stringify(reconnect)}`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_CONFIG', String(err));
    }
  }
});

// ---------------------------------------------------------------------------------------------
// A supervised camera, consumed like the last sink would: every frame's pixels are deleted and its credit released.

interface Camera {
  states: CameraStateChange[];
  msgs: PipelineMsg[];
  frames: number;
  error?: unknown;
  completed: boolean;
  /** Settles when the observable completes or errors. */
  finished: Promise<void>;
  abort: AbortController;
  subscription: Subscription;
  store: InMemoryFrameStore;
  gate: FlowGate;
}

function runCamera(source: VideoSource, options: Partial<SuperviseCaptureOptions> = {}): Camera {
  const store = new InMemoryFrameStore();
  const gate = new FlowGate(8);
  const abort = new AbortController();
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => (settle = resolve));
  const cam = { states: [], msgs: [], frames: 0, completed: false, finished, abort, store, gate } as unknown as Camera;
  cam.subscription = superviseCapture({
    source,
    cameraId: 'cam1',
    frameStore: store,
    gate,
    mode: 'live',
    signal: abort.signal,
    reconnect: FAST,
    random: NO_JITTER,
    ...options,
    onState: (change) => {
      cam.states.push(change);
      options.onState?.(change);
    },
  }).subscribe({
    next: (msg) => {
      cam.msgs.push(msg);
      if (msg.kind !== 'frame') return;
      cam.frames += 1;
      store.delete(msg.meta.frameKey);
      gate.release();
    },
    error: (err: unknown) => {
      cam.error = err;
      settle();
    },
    complete: () => {
      cam.completed = true;
      settle();
    },
  });
  return cam;
}

const names = (cam: Camera) => cam.states.map((s) => s.state);

function trace(cam: Camera): string {
  const states = cam.states.map((s) => `${s.state}#${s.attempt}${s.error ? `(${s.error.code}: ${s.error.message})` : ''}`).join(' -> ');
  return `states: ${states || '(none)'}; frames: ${cam.frames}; error: ${cam.error ? String(cam.error) : 'none'}`;
}

async function until(cam: Camera, what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (cam.error) throw new Error(`the camera errored while waiting for ${what}: ${trace(cam)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; ${trace(cam)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopCamera(cam: Camera): Promise<void> {
  cam.abort.abort();
  await cam.finished;
  assert.is(cam.error, undefined, 'the observable never errors');
  assert.ok(cam.completed);
  assert.is(names(cam).at(-1), 'stopped');
  assert.is(cam.gate.inFlight, 0, 'every credit came back');
  assert.is(cam.store.size, 0, 'every frame was deleted');
}

interface Session {
  start: StreamStartMsg;
  frames: FrameMsg[];
  end: StreamEndMsg;
}

/** Splits the output into sessions, asserting it is a plain concatenation of stream-start, frames, stream-end. */
function sessionsOf(msgs: PipelineMsg[]): Session[] {
  const sessions: Session[] = [];
  let current: Omit<Session, 'end'> | undefined;
  for (const msg of msgs) {
    if (msg.kind === 'stream-start') {
      assert.not.ok(current, 'stream-start inside a session');
      current = { start: msg, frames: [] };
    } else if (msg.kind === 'frame') {
      assert.ok(current, 'frame outside a session');
      const last = current.frames.at(-1);
      if (last) assert.ok(msg.meta.seq > last.meta.seq, `seq ${msg.meta.seq} after ${last.meta.seq}`);
      current.frames.push(msg);
    } else if (msg.kind === 'stream-end') {
      assert.ok(current, 'stream-end outside a session');
      assert.is(msg.frames, current.frames.length, 'stream-end counts the session frames');
      sessions.push({ ...current, end: msg });
      current = undefined;
    }
  }
  assert.not.ok(current, 'the last session has a stream-end');
  return sessions;
}

// ---------------------------------------------------------------------------------------------
// A real RTSP server (rtsp-server-perl), publishing a 320x240 10 fps demo clip of real faces.

interface Fixture {
  server: TestRtspServer;
  clip: string;
  publisher: RtspPublisher;
  source: VideoSource;
}

let fixture: Promise<Fixture> | undefined;

/** Started by the first test that needs it; a server that cannot start fails those tests, with its reason. */
function rtsp(): Promise<Fixture> {
  fixture ??= (async () => {
    const demo = await buildDemoClip({ outPath: join(tmp.dir, 'demo.mp4'), width: 320, height: 240, fps: 10 });
    const clip = await withKeyframesEvery(demo, join(tmp.dir, 'clip.mp4'), 10);
    let server: TestRtspServer;
    try {
      server = await TestRtspServer.start();
    } catch (err) {
      throw new Error(`the RTSP test server could not be started: ${err instanceof Error ? err.message : String(err)}`);
    }
    const publisher = await server.publish(clip);
    return { server, clip, publisher, source: { type: 'rtsp', url: server.playUrl(), transport: 'udp', timeoutMs: 3000 } };
  })();
  return fixture;
}

test.after(async () => {
  const f = await fixture?.catch(() => undefined);
  await f?.server.stop();
  tmp.cleanup();
});

test('rtsp: the camera goes connecting -> live and frames flow', async () => {
  const { source } = await rtsp();
  const cam = runCamera(source);
  await until(cam, '10 frames', () => cam.frames >= 10, 30_000);
  await stopCamera(cam);
  assert.equal(names(cam), ['connecting', 'live', 'stopped']);
  assert.equal({ previous: cam.states[0].previous, attempt: cam.states[0].attempt, cameraId: cam.states[0].cameraId }, { previous: 'stopped', attempt: 1, cameraId: 'cam1' });
  const sessions = sessionsOf(cam.msgs);
  assert.is(sessions.length, 1);
  assert.equal([sessions[0].start.width, sessions[0].start.height], [320, 240]);
  assert.is(sessions[0].end.reason, 'stopped');
  assert.ok(sessions[0].frames.length >= 10);
});

test('rtsp: server and publisher killed mid-stream, back 2 s later on the same ports: the camera reconnects and frames flow again', async () => {
  const f = await rtsp();
  const cam = runCamera(f.source);
  await until(cam, '5 frames', () => cam.frames >= 5, 30_000);
  const before = cam.frames;
  const statesBefore = cam.states.length;
  await f.server.restart(2000);
  f.publisher = await f.server.publish(f.clip);
  await until(cam, 'a second live session', () => names(cam).slice(statesBefore).includes('live'), 40_000);
  const liveAgain = cam.states.length;
  const framesAtLive = cam.frames;
  await until(cam, '5 frames after reconnecting', () => cam.frames >= framesAtLive + 5, 30_000);
  await stopCamera(cam);

  const after = names(cam).slice(statesBefore, liveAgain);
  assert.ok(after.includes('reconnecting') || after.includes('stalled'), `lost the stream: ${after.join(' -> ')}`);
  assert.equal(after.slice(-2), ['connecting', 'live'], `came back: ${after.join(' -> ')}`);
  assert.equal(names(cam).slice(0, 2), ['connecting', 'live']);
  for (const change of cam.states.filter((s) => s.state === 'reconnecting')) {
    assert.ok(change.error?.code && change.error.message, 'reconnecting carries its reason');
    assert.ok(change.retryInMs! >= 200 && change.retryInMs! <= 1000, `retryInMs ${change.retryInMs} within the policy`);
  }
  const sessions = sessionsOf(cam.msgs);
  assert.ok(sessions.length >= 2, `${sessions.length} sessions`);
  assert.ok(sessions[0].frames.length >= before, 'the first session holds the frames from before the crash');
  assert.is.not(sessions[0].end.reason, 'stopped', 'the first session ended with the crash');
  assert.is(sessions.at(-1)!.end.reason, 'stopped');
  assert.ok(sessions.at(-1)!.frames.length >= 5);
});

test('rtsp: a publisher that vanishes leaves the camera stalled: ERR_SOURCE_STALLED ends the session, then it reconnects', async () => {
  const f = await rtsp();
  // A socket timeout well past the stall timeout: the stall, not ffmpeg giving up, must end the session.
  const cam = runCamera({ ...f.source, timeoutMs: 10_000 } as VideoSource);
  await until(cam, '5 frames', () => cam.frames >= 5, 30_000);
  // SIGKILL: no TEARDOWN, so the server keeps the mount and the player's session but relays nothing.
  await f.publisher.kill('SIGKILL');
  await until(cam, 'a stall', () => names(cam).includes('stalled'), 15_000);
  const stall = cam.states.find((s) => s.state === 'stalled')!;
  assert.is(stall.error?.code, 'ERR_SOURCE_STALLED');
  await until(cam, 'reconnecting after the stall', () => names(cam).includes('reconnecting'), 5000);
  const framesAtStall = cam.frames;
  const end = sessionsOf(cam.msgs)[0].end;
  assert.equal({ reason: end.reason, code: end.error?.code }, { reason: 'error', code: 'ERR_SOURCE_STALLED' });
  assert.is(end.frames, framesAtStall);
  assert.is(cam.states.find((s) => s.state === 'reconnecting')!.error?.code, 'ERR_SOURCE_STALLED');

  // The stale mount refuses a new publisher until the server restarts.
  const statesNow = cam.states.length;
  await f.server.restart(0);
  f.publisher = await f.server.publish(f.clip);
  await until(cam, 'live again', () => names(cam).slice(statesNow).includes('live'), 40_000);
  await until(cam, 'frames again', () => cam.frames >= framesAtStall + 5, 30_000);
  await stopCamera(cam);
  sessionsOf(cam.msgs);
});

// ---------------------------------------------------------------------------------------------
// Failures that need no server.

test('unreachable URL: reconnecting with the reason, attempts and delays follow the policy; abort ends it with stopped', async () => {
  const port = await freePort();
  const cam = runCamera({ type: 'rtsp', url: `rtsp://127.0.0.1:${port}/cam`, transport: 'udp', timeoutMs: 2000 });
  await until(cam, '4 reconnects', () => cam.states.filter((s) => s.state === 'reconnecting').length >= 4, 30_000);
  await stopCamera(cam);
  const reconnects = cam.states.filter((s) => s.state === 'reconnecting');
  assert.equal(reconnects.slice(0, 4).map((s) => s.attempt), [1, 2, 3, 4]);
  assert.equal(reconnects.slice(0, 4).map((s) => s.retryInMs), [200, 400, 800, 1000]);
  for (const r of reconnects) {
    assert.is(r.error?.code, 'ERR_SOURCE_UNREACHABLE');
    assert.match(r.error!.message, /refused/i);
  }
  // Each wait lasted at least its retryInMs: reconnecting (attempt n) -> connecting (attempt n + 1).
  for (let i = 0; i + 1 < cam.states.length; i++) {
    const [a, b] = [cam.states[i], cam.states[i + 1]];
    if (a.state !== 'reconnecting' || b.state !== 'connecting') continue;
    assert.is(b.attempt, a.attempt + 1);
    assert.ok(b.at - a.at >= a.retryInMs! - 2, `waited ${b.at - a.at} ms of ${a.retryInMs}`);
  }
  assert.is(cam.msgs.length, 0, 'a camera that never opened emits nothing');
});

test('unsubscribing while waiting to reconnect leaves no timer and no further attempt', async () => {
  const port = await freePort();
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  let cam: Camera | undefined;
  cam = runCamera({ type: 'rtsp', url: `rtsp://127.0.0.1:${port}/cam`, transport: 'udp', timeoutMs: 2000 }, {
    // Unsubscribe from inside the state callback, the moment the second wait is announced.
    onState: (change) => {
      if (change.state === 'reconnecting' && change.attempt === 2) queueMicrotask(() => cam!.subscription.unsubscribe());
    },
  });
  await until(cam, 'the second reconnect', () => cam!.subscription.closed, 20_000);
  const seen = cam.states.length;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.is(cam.states.length, seen, 'no state change after unsubscribe');
  assert.is(timers(), baseline, 'no timer left behind');
  assert.not.ok(cam.completed, 'unsubscribed, not completed');
});

test('missing webcam device: state error with the reason, completes without erroring', async () => {
  const cam = runCamera({ type: 'webcam', device: '/dev/video-missing', platform: 'linux' });
  await cam.finished;
  assert.is(cam.error, undefined);
  assert.ok(cam.completed);
  assert.equal(names(cam), ['connecting', 'error']);
  const error = cam.states[1].error!;
  // Capture reports a missing v4l2 device as unreachable ("webcam <dev> not found"); the supervisor does not retry it.
  assert.is(error.code, 'ERR_SOURCE_UNREACHABLE');
  assert.match(error.message, 'webcam /dev/video-missing not found');
  assert.is(cam.msgs.length, 0);
});

test('missing file: state error ERR_SOURCE_NOT_FOUND; a file that plays to its end: stopped, no reconnect', async () => {
  const missing = runCamera({ type: 'file', path: join(tmp.dir, 'nope.mp4') }, { mode: 'replay' });
  await missing.finished;
  assert.equal(names(missing), ['connecting', 'error']);
  assert.is(missing.states[1].error?.code, 'ERR_SOURCE_NOT_FOUND');
  assert.ok(missing.completed);

  const clip = await buildDemoClip({ outPath: join(tmp.dir, 'short.mp4'), width: 160, height: 120, fps: 10, secondsPerPhoto: 0.2 });
  const file = runCamera({ type: 'file', path: clip }, { mode: 'replay' });
  await file.finished;
  assert.is(file.error, undefined);
  assert.equal(names(file), ['connecting', 'live', 'stopped']);
  const [session] = sessionsOf(file.msgs);
  assert.equal({ reason: session.end.reason, frames: session.frames.length }, { reason: 'eof', frames: 12 });
  assert.is(file.gate.inFlight, 0);
});

test.run();
