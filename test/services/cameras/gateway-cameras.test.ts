import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '../../../config/load.ts';
import { startStack, type RunningStack } from '../../../services/stack.ts';
import type { GatewayWorker } from '../../../services/workers/gateway.ts';
import type { CameraStatus } from '../../../pipeline/cameras/camera-types.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { WsTestClient } from '../../pipeline/events/ws-test-client.ts';
import { tempDir } from '../../helpers/paths.ts';

// The whole stack in one process (in-memory bus) with a token-protected gateway and a media dir.
const tmp = tempDir('es-gateway-cams-');
const media = join(tmp.dir, 'media');
mkdirSync(media);
const clip = await buildDemoClip({ outPath: join(media, 'clip.mp4'), width: 320, height: 240, fps: 10, secondsPerPhoto: 1 });
const outside = await buildDemoClip({ outPath: join(tmp.dir, 'outside.mp4'), width: 64, height: 48, fps: 5, secondsPerPhoto: 0.2 });
const TOKEN = 'test-token-0123456789';
const validate = createEventValidator();
let stack: RunningStack;
let base: string;

test.before(async () => {
  const config = loadStackConfig({
    overrides: {
      logLevel: 'silent', output: { websocket: { port: 0 } }, gateway: { token: TOKEN, mediaDirs: [media] },
    },
  });
  stack = await startStack(config, ['sinks', 'classifier', 'detector', 'gateway'], silentLogger());
  base = `http://127.0.0.1:${(stack.workers.find((w) => w.stage === 'gateway') as GatewayWorker).port}`;
});

test.after(async () => {
  await stack.stop();
  tmp.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const api = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...(init.headers ?? {}) } });

async function waitForState(id: string, state: string, timeoutMs = 30_000): Promise<CameraStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await (await api(`/cameras/${id}`)).json()) as CameraStatus;
    if (status.state === state) return status;
    if (Date.now() > deadline) throw new Error(`${id}: state ${status.state}, waited for ${state}: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('requests without the token are refused (HTTP 401, WebSocket 401); the OpenAPI document is public', async () => {
  assert.is((await fetch(`${base}/cameras`)).status, 401);
  assert.is((await fetch(`${base}/cameras`, { headers: { authorization: 'Bearer wrong-token-0000000000' } })).status, 401);
  assert.is(await WsTestClient.refusedStatus(`${base.replace('http', 'ws')}/events`), 401);
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(doc.openapi, /^3\.1/);
  assert.ok(doc.paths['/replays'] && doc.paths['/cameras/{id}']);
});

test('a replay outside the media dirs is refused; inside, it runs as a camera: events on the WebSocket, status with fps and latency', async () => {
  const refused = await api('/replays', { method: 'POST', body: JSON.stringify({ path: outside }) });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'ERR_FORBIDDEN_PATH');
  const { client } = await WsTestClient.connect(`${base.replace('http', 'ws')}/events?cameras=replay-1`, { headers: auth });
  try {
    const started = await api('/replays', { method: 'POST', body: JSON.stringify({ path: 'clip.mp4', cameraId: 'replay-1' }) });
    assert.is(started.status, 202, await started.clone().text());
    await client.waitFor((m) => m.type === 'camera-state' && m.state === 'live', 20_000);
    await client.waitFor((m) => m.type === 'stream-end', 60_000);
    const stopped = await waitForState('replay-1', 'stopped');
    assert.is(stopped.frames, 60, 'every frame of the 6 s clip at 10 fps was processed');
    assert.ok(stopped.latencyMs && stopped.latencyMs.count === 60 && stopped.latencyMs.p99 >= stopped.latencyMs.p50, JSON.stringify(stopped.latencyMs));
    const events = client.received.filter((m) => m.type !== 'hello');
    events.forEach((e, i) => assert.ok(validate(e).valid, `event ${i} (${String(e.type)}) valid: ${JSON.stringify(validate(e))}`));
    assert.equal(events.filter((e) => e.type === 'camera-state').map((e) => e.state), ['connecting', 'live', 'stopped']);
    const list = (await (await api('/cameras')).json()) as { cameras: CameraStatus[] };
    assert.equal(list.cameras.map((c) => c.id).sort(), ['replay-1']);
    assert.is((await api('/cameras/replay-1', { method: 'DELETE' })).status, 204);
    assert.is((await api('/cameras/replay-1')).status, 404);
  } finally {
    await client.close();
  }
});

test.run();
