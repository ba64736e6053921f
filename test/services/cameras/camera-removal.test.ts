import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadStackConfig } from '../../../config/load.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import type { CameraStatus } from '../../../pipeline/cameras/camera-types.ts';
import type { WireEvent } from '../../../pipeline/events/wire-event.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';
import { TOPICS } from '../../../pipeline/runners/bus-envelope.ts';
import { WebSocketBroadcaster } from '../../../pipeline/sinks/websocket-broadcaster.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { CameraManager } from '../../../services/cameras/camera-manager.ts';
import { createHttpApi } from '../../../services/gateway/http-api.ts';
import { OPENAPI } from '../../../services/gateway/openapi.ts';
import { STAGE_WORKERS } from '../../../services/stack.ts';
import { startGateway } from '../../../services/workers/gateway.ts';
import type { RunningWorker } from '../../../services/workers/worker-context.ts';
import { tempDir } from '../../helpers/paths.ts';

// Cameras on the embedded (in-memory) bus; the stages downstream of capture run only where a test
// starts them, so a replay's frames sit on the bus until then (a stalled downstream).
const tmp = tempDir('es-camera-removal-');
test.after(() => tmp.cleanup());
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 160, height: 120, fps: 10, secondsPerPhoto: 1 });
const MAX_IN_FLIGHT = 4;
const config = loadStackConfig({ overrides: { logLevel: 'silent', maxInFlight: MAX_IN_FLIGHT, gateway: { mediaDirs: [tmp.dir] } } });
const metrics = new WorkerMetrics({ service: 'test', defaultMetrics: false });
const logger = silentLogger();

const DOC_ID = 'https://emotion-stream.test/openapi.json';
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'security']);
ajv.addSchema({ ...OPENAPI, $id: DOC_ID });
const cameraStatusValid = (body: unknown) => ajv.getSchema(`${DOC_ID}#/components/schemas/CameraStatus`)!(body);

type CameraStateEvent = Extract<WireEvent, { type: 'camera-state' }>;

interface Gateway {
  bus: InMemoryBus;
  cameras: CameraManager;
  call: (path: string, method?: string, json?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves with the first camera-state event of `cameraId` in `state` published from now on. */
  stateEvent: (cameraId: string, state: string) => Promise<CameraStateEvent>;
  /** Frame events the sinks published, per camera. */
  frameEvents: Map<string, number>;
}

/** A camera manager behind the real HTTP API, on its own in-memory bus; always stopped. */
async function withGateway(drainTimeoutMs: number | undefined, body: (gw: Gateway) => Promise<void>): Promise<void> {
  const bus = new InMemoryBus();
  const waiters: { cameraId: string; state: string; resolve: (e: CameraStateEvent) => void }[] = [];
  const frameEvents = new Map<string, number>();
  const unsubscribe = await bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
    if (event.type === 'frame') frameEvents.set(event.cameraId, (frameEvents.get(event.cameraId) ?? 0) + 1);
    if (event.type !== 'camera-state') return;
    for (const w of waiters.filter((x) => x.cameraId === event.cameraId && x.state === event.state)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
  const cameras = await new CameraManager({ bus, config, logger, metrics, ...(drainTimeoutMs !== undefined && { drainTimeoutMs }) }).start();
  const api = createHttpApi({ cameras, mediaDirs: [tmp.dir], startReplay: ({ path, cameraId }) => cameras.add({ id: cameraId!, source: { type: 'file', path }, mode: 'replay' }) });
  const server = new WebSocketBroadcaster({ httpHandler: api, pingIntervalMs: 0 });
  const { port } = await server.start({ port: 0 });
  const call: Gateway['call'] = async (path, method = 'GET', json) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...(json !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const stateEvent = (cameraId: string, state: string) => new Promise<CameraStateEvent>((resolve) => void waiters.push({ cameraId, state, resolve }));
  try {
    await body({ bus, cameras, call, stateEvent, frameEvents });
  } finally {
    await cameras.stop();
    await server.stop();
    await unsubscribe();
    await bus.close();
  }
}

/** Waits (on the camera's own status, checked every few ms) until capture holds every credit: the downstream has stalled it. */
async function untilStalled(cameras: CameraManager, id: string): Promise<void> {
  while ((cameras.get(id)?.inFlight ?? 0) < MAX_IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 20));
}

test('DELETE of a replay whose downstream is stalled answers at once (202, draining, frames in flight); the drain finishes once the stages run; then it is gone', () =>
  withGateway(10 * 60_000, async ({ bus, cameras, call, stateEvent, frameEvents }) => {
    const live = stateEvent('r1', 'live');
    assert.is((await call('/replays', 'POST', { path: 'clip.mp4', cameraId: 'r1' })).status, 202);
    await live;
    await untilStalled(cameras, 'r1');
    const order: string[] = [];
    const gone = stateEvent('r1', 'stopped').then(() => { order.push('drained'); });

    const answer = await call('/cameras/r1', 'DELETE');
    order.push('answered');
    assert.is(answer.status, 202);
    assert.ok(cameraStatusValid(answer.body), JSON.stringify(answer.body));
    assert.equal([answer.body.state, answer.body.inFlight], ['draining', MAX_IN_FLIGHT]);
    const shown = await call('/cameras/r1');
    assert.equal([shown.status, shown.body.state, shown.body.inFlight, shown.body.since], [200, 'draining', MAX_IN_FLIGHT, answer.body.since]);
    assert.equal((await call('/cameras')).body.cameras.map((c: CameraStatus) => [c.id, c.state]), [['r1', 'draining']]);
    const again = await call('/cameras/r1', 'DELETE');
    assert.equal([again.status, again.body.state, again.body.since], [202, 'draining', answer.body.since], 'a second DELETE answers the same');
    const readd = await call('/cameras', 'POST', { id: 'r1', source: { type: 'file', path: 'clip.mp4' } });
    assert.equal([readd.status, readd.body.error.code], [409, 'ERR_CONFLICT']);
    assert.is(readd.body.error.message, `camera "r1" is still draining (${MAX_IN_FLIGHT} frames in flight): add it again once GET /cameras/r1 answers 404`);

    // The downstream comes up only now: the frames in flight are finished, the stream is closed.
    const workers: RunningWorker[] = [];
    for (const stage of ['sinks', 'classifier', 'detector'] as const) workers.push(await STAGE_WORKERS[stage]({ config, bus, logger, metrics }));
    try {
      await gone;
      assert.equal(order, ['answered', 'drained']);
      assert.ok((frameEvents.get('r1') ?? 0) >= MAX_IN_FLIGHT, `the frames in flight were finished, not dropped: ${frameEvents.get('r1')}`);
      assert.is((await call('/cameras/r1')).status, 404);
      assert.equal((await call('/cameras')).body.cameras, []);
      assert.is((await call('/cameras/r1', 'DELETE')).status, 404);
      assert.is((await call('/replays', 'POST', { path: 'clip.mp4', cameraId: 'r1' })).status, 202, 'the id is free again');
    } finally {
      await cameras.stop();
      for (const worker of workers.reverse()) await worker.stop();
    }
  }));

test('with nothing downstream at all, a removed camera drains until the drain timeout, then is forgotten; a finished camera is forgotten at once (204)', () =>
  withGateway(200, async ({ cameras, call, stateEvent }) => {
    const live = stateEvent('r2', 'live');
    await cameras.add({ id: 'r2', source: { type: 'file', path: clip }, mode: 'replay' });
    await live;
    await untilStalled(cameras, 'r2');
    const gone = stateEvent('r2', 'stopped');
    const status = await cameras.remove('r2');
    assert.equal([status?.state, status?.inFlight], ['draining', MAX_IN_FLIGHT]);
    await gone;
    assert.is(cameras.get('r2'), undefined);
    assert.is((await call('/cameras/r2')).status, 404);

    const failed = stateEvent('broken', 'error');
    writeFileSync(join(tmp.dir, 'broken.mp4'), 'not a video');
    assert.is((await call('/replays', 'POST', { path: 'broken.mp4', cameraId: 'broken' })).status, 202);
    await failed;
    const del = await call('/cameras/broken', 'DELETE');
    assert.equal([del.status, del.body], [204, undefined]);
    assert.is((await call('/cameras/broken')).status, 404);
  }));

test('POST /cameras refuses a webcam device that cannot be a camera with 400 and the reason; nothing is started', () =>
  withGateway(undefined, async ({ call, cameras }) => {
    const regularFile = join(tmp.dir, 'video0');
    writeFileSync(regularFile, 'not a camera');
    const cases: [string, string][] = [
      ['/dev/zero', 'source.device: must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got "/dev/zero")'],
      ['../../etc/passwd', 'source.device: must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got "../../etc/passwd")'],
      [regularFile, `source.device: must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(regularFile)})`],
      ['/dev/video99', 'camera "cam9": webcam device /dev/video99 does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices)'],
    ];
    for (const [device, message] of cases) {
      const res = await call('/cameras', 'POST', { id: 'cam9', source: { type: 'webcam', device } });
      assert.equal([res.status, res.body.error.code], [400, 'ERR_CONFIG'], device);
      assert.ok(res.body.error.message.endsWith(message), `${device}: ${res.body.error.message}`);
    }
    assert.equal(cameras.list(), []);
  }));

test('a configured webcam that is not there fails gateway start-up with ERR_CONFIG, before any camera starts', async () => {
  const bus = new InMemoryBus();
  const started: string[] = [];
  const unsubscribe = await bus.topic<WireEvent>(TOPICS.events).subscribe((e) => void (e.type === 'camera-state' && started.push(e.cameraId)));
  const cameras = [{ id: 'lobby', source: { type: 'file', path: clip } }, { id: 'door', source: { type: 'webcam', device: '/dev/video99' } }];
  try {
    await startGateway({ config: loadStackConfig({ overrides: { logLevel: 'silent', output: { websocket: { port: 0 } }, cameras } }), bus, logger, metrics });
    assert.unreachable('the gateway started');
  } catch (err) {
    assert.ok(isEmotionStreamError(err), String(err));
    assert.is(err.code, 'ERR_CONFIG');
    assert.is(err.message, 'camera "door": webcam device /dev/video99 does not exist (is the camera plugged in? list cameras with: v4l2-ctl --list-devices)');
  } finally {
    await unsubscribe();
    await bus.close();
  }
  assert.equal(started, [], 'the file camera before it was not started either');
});

test.run();
