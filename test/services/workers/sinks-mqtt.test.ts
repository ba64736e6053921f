import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadStackConfig } from '../../../config/load.ts';
import { cameraStateEvent, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { TOPICS } from '../../../pipeline/runners/bus-envelope.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { startStack } from '../../../services/stack.ts';
import { startCapture } from '../../../services/workers/capture.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { MqttRecorder, TestMosquitto, retainedMessages } from '../../helpers/mosquitto-server.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-sinks-mqtt-');
const mq = await TestMosquitto.start(tmp.dir);
test.after(async () => {
  await mq.stop();
  tmp.cleanup();
});
await initBackend('wasm');
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 5, secondsPerPhoto: 1 });

test('sinks worker with mqtt: the stream\'s events and states on the broker, and managed cameras\' state changes from the bus', async () => {
  const eventsPath = join(tmp.dir, 'events.jsonl');
  const config = loadStackConfig({
    overrides: {
      source: { type: 'file', path: clip }, cameraId: 'hall', logLevel: 'silent',
      output: { eventsJsonl: eventsPath }, mqtt: { url: mq.url, prefix: 'stack' },
    },
  });
  const recorder = await MqttRecorder.subscribe(mq.url, 'stack/#');
  const stack = await startStack(config, ['sinks', 'classifier', 'detector'], silentLogger());
  try {
    await recorder.waitFor((m) => m.topic === 'stack/availability' && m.payload === 'online');
    // What the gateway's camera manager publishes when an RTSP camera drops.
    const change = cameraStateEvent({ cameraId: 'door', state: 'reconnecting', previous: 'live', at: Date.now(), attempt: 2, retryInMs: 1000 });
    await stack.bus.topic<WireEvent>(TOPICS.events).publish(change);
    const capture = await startCapture({ config, bus: stack.bus, metrics: stack.metrics, logger: silentLogger() });
    assert.is((await capture.done).end?.reason, 'eof');
    await recorder.waitFor((m) => m.topic === 'stack/hall/state' && JSON.parse(m.payload).state === 'ended');
    assert.is(JSON.parse((await recorder.waitFor((m) => m.topic === 'stack/door/state')).payload).state, 'reconnecting');
  } finally {
    await stack.stop();
  }
  await recorder.waitFor((m) => m.topic === 'stack/availability' && m.payload === 'offline');
  await recorder.close();
  const written = readFileSync(eventsPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as WireEvent);
  assert.equal(recorder.json('stack/hall/events'), written.filter((e) => e.type !== 'frame'), 'the events file\'s non-frame events, in order');
  assert.ok(written.some((e) => e.type === 'track-start'), 'people tracked in the sinks worker');
  assert.is(JSON.parse((await retainedMessages(mq.url, 'stack/#')).get('stack/hall/state')!).people, 0);
});

test.run();
