import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadStackConfig } from '../../../config/load.ts';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';
import { startGateway } from '../../../services/workers/gateway.ts';
import { WsTestClient } from '../../pipeline/events/ws-test-client.ts';

const bus = new InMemoryBus();
const metrics = new WorkerMetrics({ service: 'test', defaultMetrics: false });
test.after(() => bus.close());

function ctx(overrides: Record<string, unknown>) {
  return { config: loadStackConfig({ overrides: { logLevel: 'silent', ...overrides } }), bus, logger: silentLogger(), metrics };
}

test('without a token the gateway refuses to listen beyond loopback, before opening anything', async () => {
  try {
    await startGateway(ctx({ output: { websocket: { port: 0, host: '0.0.0.0' } } }));
    assert.unreachable('listened on 0.0.0.0 without a token');
  } catch (err) {
    assert.ok(isEmotionStreamError(err), String(err));
    assert.is(err.code, 'ERR_CONFIG');
    assert.match(err.message, 'EMOTION_STREAM_API_TOKEN');
  }
});

test('tokenless on loopback: WebSocket clients without an Origin or from a local page connect; other web pages get 403', async () => {
  const gateway = await startGateway(ctx({ output: { websocket: { port: 0 } } }));
  try {
    const url = `ws://127.0.0.1:${gateway.port}/events`;
    const plain = await WsTestClient.connect(url);
    await plain.client.close();
    const local = await WsTestClient.connect(url, { headers: { origin: `http://localhost:${gateway.port}` } });
    await local.client.close();
    assert.is(await WsTestClient.refusedStatus(url, { headers: { origin: 'https://evil.example' } }), 403);
  } finally {
    await gateway.stop();
  }
});

test('with a token it may listen on every interface; the token, not the origin, decides', async () => {
  const token = 'gateway-test-token-123';
  const gateway = await startGateway(ctx({ output: { websocket: { port: 0, host: '0.0.0.0' } }, gateway: { token } }));
  try {
    const url = `ws://127.0.0.1:${gateway.port}/events`;
    assert.is(await WsTestClient.refusedStatus(url), 401);
    const ok = await WsTestClient.connect(url, { headers: { authorization: `Bearer ${token}`, origin: 'https://dashboard.example' } });
    await ok.client.close();
  } finally {
    await gateway.stop();
  }
});

test.run();
