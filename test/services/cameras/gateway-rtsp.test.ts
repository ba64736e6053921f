import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadStackConfig } from '../../../config/load.ts';
import { startStack, type RunningStack } from '../../../services/stack.ts';
import type { GatewayWorker } from '../../../services/workers/gateway.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { WsTestClient } from '../../pipeline/events/ws-test-client.ts';
import { TestRtspServer, withKeyframesEvery } from '../../helpers/rtsp-server.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

// A real RTSP server (rtsp-server-perl) fed by ffmpeg with real faces; the whole stack in one process.
const tmp = tempDir('es-gateway-rtsp-');
const demo = await buildDemoClip({ outPath: join(tmp.dir, 'demo.mp4'), width: 320, height: 240, fps: 10, secondsPerPhoto: 1 });
const clip = await withKeyframesEvery(demo, join(tmp.dir, 'clip.mp4'), 10);
const server = await TestRtspServer.start();
await server.publish(clip);
const deadPort = await freePort();
let stack: RunningStack;
let gateway: GatewayWorker;

test.before(async () => {
  const config = loadStackConfig({
    overrides: {
      logLevel: 'silent', output: { websocket: { port: 0 } },
      reconnect: { initialDelayMs: 300, maxDelayMs: 2000, stallTimeoutMs: 3000 },
      cameras: [
        { id: 'door', source: { type: 'rtsp', url: server.playUrl(), transport: 'udp' } },
        { id: 'gone', source: { type: 'rtsp', url: `rtsp://127.0.0.1:${deadPort}/nothing`, transport: 'tcp' } },
      ],
    },
  });
  stack = await startStack(config, ['sinks', 'classifier', 'detector', 'gateway'], silentLogger());
  gateway = stack.workers.find((w) => w.stage === 'gateway') as GatewayWorker;
});

test.after(async () => {
  await stack.stop();
  await server.stop();
  tmp.cleanup();
});

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(gateway.cameras.list())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the RTSP camera goes live and its events flow while an unreachable one keeps retrying with its reason', async () => {
  const { client } = await WsTestClient.connect(`ws://127.0.0.1:${gateway.port}/events`);
  try {
    await client.waitFor((m) => m.type === 'frame' && m.cameraId === 'door', 60_000);
    await until('the unreachable camera to report why', () => {
      const gone = gateway.cameras.get('gone')!;
      return gone.lastError !== null && gone.reconnects >= 1;
    });
    const gone = gateway.cameras.get('gone')!;
    assert.ok(['reconnecting', 'connecting'].includes(gone.state), gone.state);
    assert.match(gone.lastError!.code, /^ERR_SOURCE_/);
    const door = gateway.cameras.get('door')!;
    assert.is(door.state, 'live');
    assert.ok(door.frames > 0 && door.latencyMs !== null, JSON.stringify(door));
    assert.ok(client.received.some((m) => m.type === 'camera-state' && m.cameraId === 'gone' && m.state === 'reconnecting' && typeof m.retryInMs === 'number'));
  } finally {
    await client.close();
  }
});

test('the RTSP server killed and restarted mid-stream: the camera recovers by itself, the process stays up', async () => {
  const before = gateway.cameras.get('door')!;
  await server.restart(2000);
  await server.publish(clip);
  await until('door to reconnect and go live again', () => {
    const door = gateway.cameras.get('door')!;
    return door.reconnects > before.reconnects && door.state === 'live' && door.frames > before.frames + 5;
  }, 90_000);
  assert.ok(gateway.cameras.get('door')!.lastError, 'the drop is kept as the last error');
});

test.run();
