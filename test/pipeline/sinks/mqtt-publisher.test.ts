import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmotionStreamError } from '../../../common/errors.ts';
import { mqttSchema, type MqttConfig } from '../../../config/schema.ts';
import { toWireEvents, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import { createLogger, type Logger } from '../../../pipeline/logger.ts';
import { MqttPublisher } from '../../../pipeline/sinks/mqtt-publisher.ts';
import { T0, classifications, streamEndWithTracks, streamStart, tracked, trackedWithEvents } from '../events/sample-messages.ts';
import { MqttRecorder, TestMosquitto, retainedMessages } from '../../helpers/mosquitto-server.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-mqtt-');
const brokers: TestMosquitto[] = [];
test.after(async () => {
  for (const broker of brokers) await broker.stop();
  tmp.cleanup();
});

async function broker(options: Parameters<typeof TestMosquitto.start>[1] = {}): Promise<TestMosquitto> {
  const started = await TestMosquitto.start(tmp.dir, options);
  brokers.push(started);
  return started;
}

let prefixes = 0;
/**
 * A config with its own prefix, so tests sharing a broker never see each other's retained state;
 * close() returns as soon as the broker took everything, so its timeout is generous (a loaded machine).
 */
function config(url: string, fields: Partial<MqttConfig> = {}): MqttConfig {
  prefixes += 1;
  return mqttSchema.parse({ url, prefix: `es-test/${prefixes}`, closeTimeoutMs: 60_000, ...fields });
}

function logCapture(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: stream }), lines };
}

/** Stream-start, `frames` tracked frames (tracks 1 and 2; frame 1 also starts 1, changes 2, ends 3), stream-end. */
function stream(frames: number, cameraId = 'cam1'): WireEvent[] {
  const events = toWireEvents(streamStart(cameraId));
  for (let seq = 0; seq < frames; seq++) {
    const msg = seq === 1 ? trackedWithEvents(seq, cameraId) : tracked(classifications(seq, cameraId));
    events.push(...toWireEvents(msg, { now: () => T0 + 999 }));
  }
  events.push(...toWireEvents(streamEndWithTracks(cameraId, frames)));
  return events;
}

test('a stream: events in order, camera and person state, availability online then offline; retained state after close', async () => {
  const mq = await broker();
  const cfg = config(mq.url);
  const recorder = await MqttRecorder.subscribe(mq.url, `${cfg.prefix}/#`);
  const publisher = await MqttPublisher.open(cfg);
  await online(recorder, cfg.prefix); // states before the connection would be coalesced (see the broker-down test)
  const events = stream(40);
  for (const event of events) publisher.handle(event);
  await publisher.close();
  await recorder.waitFor((m) => m.topic === `${cfg.prefix}/availability` && m.payload === 'offline');
  await recorder.close();

  const counters = publisher.counters;
  assert.is(counters.delivered, counters.published, 'every message taken by the broker');
  assert.equal([counters.dropped, counters.connects], [0, 1]);
  assert.equal(recorder.on(`${cfg.prefix}/availability`).map((m) => m.payload), ['online', 'offline']);

  const expected = events.filter((e) => e.type !== 'frame');
  assert.equal(recorder.json(`${cfg.prefix}/cam1/events`), JSON.parse(JSON.stringify(expected)), 'every non-frame event, in order, as on the wire');

  const camera = recorder.json<{ state: string; people: number }>(`${cfg.prefix}/cam1/state`);
  assert.equal([camera[0].state, camera.at(-1)!.state, camera.at(-1)!.people], ['live', 'ended', 0]);
  assert.ok(camera.some((c) => c.people === 2));

  for (const trackId of [1, 2]) {
    const person = recorder.on(`${cfg.prefix}/cam1/person/${trackId}/state`);
    assert.ok(person.length >= 2, `track ${trackId}: state and clear`);
    const first = JSON.parse(person[0].payload) as { trackId: number; emotion: string; confidence: number; lastSeen: number; lastSeenIso: string };
    assert.is(first.trackId, trackId);
    assert.ok(['neutral', 'happy'].includes(first.emotion) && first.confidence > 0 && first.confidence <= 1);
    assert.is(new Date(first.lastSeenIso).getTime(), first.lastSeen);
    assert.is(person.at(-1)!.payload, '', 'cleared when the track ended');
  }

  const retained = await retainedMessages(mq.url, `${cfg.prefix}/#`);
  assert.equal([...retained.keys()].sort(), [`${cfg.prefix}/availability`, `${cfg.prefix}/cam1/state`], 'no person state is left behind');
  assert.is(retained.get(`${cfg.prefix}/availability`), 'offline');
  assert.equal(JSON.parse(retained.get(`${cfg.prefix}/cam1/state`)!), camera.at(-1));
});

test('open people are retained while the stream runs; retain: false leaves no camera or person state behind', async () => {
  const mq = await broker();
  const running = config(mq.url);
  const live = await MqttRecorder.subscribe(mq.url, `${running.prefix}/#`);
  const publisher = await MqttPublisher.open(running);
  for (const event of stream(5).filter((e) => e.type !== 'stream-end' && e.type !== 'track-end')) publisher.handle(event);
  await live.waitFor((m) => m.topic === `${running.prefix}/cam1/person/2/state`);
  await live.close();
  // A subscriber arriving mid-stream sees who is there now.
  const retained = await retainedMessages(mq.url, `${running.prefix}/#`);
  assert.is(JSON.parse(retained.get(`${running.prefix}/cam1/person/2/state`)!).trackId, 2);
  assert.is(JSON.parse(retained.get(`${running.prefix}/cam1/state`)!).people, 2);
  assert.is(retained.get(`${running.prefix}/availability`), 'online');
  await publisher.close();

  const unretained = config(mq.url, { retain: false });
  const other = await MqttPublisher.open(unretained);
  for (const event of stream(5).filter((e) => e.type !== 'stream-end' && e.type !== 'track-end')) other.handle(event);
  await other.close();
  assert.equal([...(await retainedMessages(mq.url, `${unretained.prefix}/#`)).entries()], [[`${unretained.prefix}/availability`, 'offline']]);
});

test('broker down at start: one error logged, events wait and states coalesce; delivered once the broker is up', async () => {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const cfg = config(url);
  // A persistent session queues what the publisher sends while this subscriber is away, so the
  // test cannot miss messages published the moment the broker comes up.
  const mq = await broker({ port, persistent: true });
  const subscriber = { clientId: `es-test-${port}`, clean: false };
  await (await MqttRecorder.subscribe(url, `${cfg.prefix}/#`, subscriber)).close();
  await mq.stop({ graceful: true });

  const { logger, lines } = logCapture();
  const publisher = await MqttPublisher.open(cfg, { logger });
  const events = stream(40);
  for (const event of events) publisher.handle(event);
  // Retries go on every second: wait for a few of them, and the error is still logged once.
  await waitUntil(() => lines.filter((l) => l.msg === 'mqtt connection attempt failed').length >= 2);
  const errors = lines.filter((l) => l.level >= 50);
  assert.is(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0].msg, /mqtt connection failed/);
  assert.match(errors[0].err.message, /ECONNREFUSED/);
  assert.is(publisher.connected, false);
  assert.ok(publisher.counters.coalesced > 0, 'person and camera states keep only their latest value');

  await mq.launch();
  await publisher.close(); // waits (closeTimeoutMs) for the broker to take what is queued
  assert.is(publisher.counters.dropped, 0);
  assert.is(publisher.counters.delivered, publisher.counters.published);
  assert.ok(lines.some((l) => l.msg === 'mqtt connected'));

  const recorder = await MqttRecorder.subscribe(url, `${cfg.prefix}/#`, subscriber);
  await recorder.waitFor((m) => m.topic === `${cfg.prefix}/availability` && m.payload === 'offline');
  await recorder.close();
  const expected = events.filter((e) => e.type !== 'frame');
  assert.equal(recorder.json(`${cfg.prefix}/cam1/events`), JSON.parse(JSON.stringify(expected)), 'every event queued while away arrives, in order');
  assert.is(recorder.json<{ state: string }>(`${cfg.prefix}/cam1/state`).at(-1)!.state, 'ended');
  assert.equal(recorder.on(`${cfg.prefix}/cam1/person/1/state`).at(-1)!.payload, '');
});

test('a broker that never comes: maxQueued bounds memory (drops counted, one warning), close gives up after closeTimeoutMs', async () => {
  const { logger, lines } = logCapture();
  const cfg = config(`mqtt://127.0.0.1:${await freePort()}`, { maxQueued: 5, closeTimeoutMs: 300, eventTypes: ['frame'] });
  const publisher = await MqttPublisher.open(cfg, { logger });
  for (const event of stream(20)) publisher.handle(event);
  assert.is(publisher.counters.dropped, 15, '20 frame events, 5 queued');
  await publisher.close();
  assert.is(lines.filter((l) => l.msg === 'mqtt queue full: events dropped').length, 1);
  const lost = lines.find((l) => /did not take every message/.test(l.msg));
  assert.ok(lost && lost.level === 50 && lost.undelivered > 0, JSON.stringify(lost));
  const late = await publisher.handle(stream(1)[0])?.then(() => undefined, (err: unknown) => err);
  assert.ok(late instanceof EmotionStreamError && late.code === 'ERR_SINK', 'an event after close is refused');
});

test('username/password: accepted with the right password (never logged); refused with a wrong one, error logged once', async () => {
  const mq = await broker({ users: { camera: 's3cret-pw' } });
  const good = config(`mqtt://camera:s3cret-pw@127.0.0.1:${mq.port}`);
  const recorder = await MqttRecorder.subscribe(mq.url, `${good.prefix}/#`, { username: 'camera', password: 's3cret-pw' });
  const { logger, lines } = logCapture();
  const publisher = await MqttPublisher.open(good, { logger });
  await online(recorder, good.prefix);
  for (const event of stream(3)) publisher.handle(event);
  await publisher.close();
  await recorder.waitFor((m) => m.topic === `${good.prefix}/availability` && m.payload === 'offline');
  await recorder.close();
  assert.ok(recorder.on(`${good.prefix}/cam1/events`).length > 0);
  assert.is(publisher.counters.delivered, publisher.counters.published);
  const logged = lines.map((l) => JSON.stringify(l)).join('\n');
  assert.not.ok(logged.includes('s3cret-pw'), 'the password is not in the logs');
  assert.ok(logged.includes('camera:***@'), 'the URL is logged redacted');

  const bad = config(mq.url, { username: 'camera', password: 'wrong', closeTimeoutMs: 200 });
  const refused = logCapture();
  const rejected = await MqttPublisher.open(bad, { logger: refused.logger });
  for (const event of stream(3)) rejected.handle(event);
  await waitUntil(() => refused.lines.some((l) => l.level >= 50));
  await rejected.close();
  const errors = refused.lines.filter((l) => l.level >= 50 && /mqtt connection failed/.test(l.msg));
  assert.is(errors.length, 1);
  assert.match(errors[0].err.message, /Not authorized/i);
  assert.is(rejected.counters.connects, 0);
  assert.equal([...(await retainedMessages(mq.url, `${bad.prefix}/#`, { username: 'camera', password: 's3cret-pw' })).keys()], []);
});

test('a TLS file that cannot be read fails open() with ERR_CONFIG naming the field and path', async () => {
  const cfg = config('mqtts://127.0.0.1:8883', { ca: `${tmp.dir}/missing-ca.pem` });
  try {
    await MqttPublisher.open(cfg);
    assert.unreachable('open should fail');
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_CONFIG');
    assert.match((err as Error).message, /^mqtt\.ca: cannot read .*missing-ca\.pem/);
  }
});

/** Resolves once the publisher under `prefix` said it is online (it is connected from then on). */
async function online(recorder: MqttRecorder, prefix: string): Promise<void> {
  await recorder.waitFor((m) => m.topic === `${prefix}/availability` && m.payload === 'online');
}

/** Polls a condition the test cannot be told about by an event (log lines written by the publisher). */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

test.run();
