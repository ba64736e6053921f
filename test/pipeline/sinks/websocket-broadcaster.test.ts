import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireEvents, toWireV1, type FrameEvent, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import type { PipelineMsg } from '../../../pipeline/messages.ts';
import { WebSocketBroadcaster, type WebSocketBroadcasterOptions } from '../../../pipeline/sinks/websocket-broadcaster.ts';
import { T0, classifications, face, streamEnd, streamEndWithTracks, streamStart, trackedWithEvents } from '../events/sample-messages.ts';
import { WsTestClient } from '../events/ws-test-client.ts';

const validate = createEventValidator();
const events = (msg: PipelineMsg) => toWireEvents(msg, { now: () => T0 + 1000 });
const frame = (seq: number, cameraId = 'cam1') => events(classifications(seq, cameraId))[0] as FrameEvent;
const start = (cameraId: string) => events(streamStart(cameraId))[0];
const end = (cameraId: string) => events(streamEnd(cameraId))[0];
/** As the client parsed it. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

/** The error a promise rejects with (uvu has no async `rejects`). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the promise to reject');
}

/** Runs `body` against a started broadcaster and always stops it, so a failing test leaks no server. */
async function withBroadcaster(
  body: (b: WebSocketBroadcaster, url: string) => Promise<void>,
  options: WebSocketBroadcasterOptions = {},
): Promise<void> {
  const broadcaster = new WebSocketBroadcaster({ closeTimeoutMs: 200, ...options });
  const { port } = await broadcaster.start({ port: 0 });
  try {
    await body(broadcaster, `ws://127.0.0.1:${port}/events`);
  } finally {
    await broadcaster.stop();
  }
}

test('hello on connect lists the live cameras and validates', () =>
  withBroadcaster(async (b, url) => {
    b.publish(start('cam1'));
    b.publish(start('cam2'));
    b.publish(start('cam3'));
    b.publish(end('cam2'));
    const { client, hello } = await WsTestClient.connect(url);
    assert.equal(hello, { schema: 'emotion-stream/event', v: 1, type: 'hello', cameras: ['cam1', 'cam3'] });
    assert.ok(validate(hello).valid);
    assert.is(b.clientCount, 1);
    await client.close();
  }));

test('two clients with different camera filters receive only their cameras', () =>
  withBroadcaster(async (b, url) => {
    const { client: one } = await WsTestClient.connect(`${url}?cameras=cam1`);
    const { client: two } = await WsTestClient.connect(`${url}?cameras=cam2,cam3`);
    const { client: all } = await WsTestClient.connect(url);
    for (const seq of [0, 1]) for (const cam of ['cam1', 'cam2', 'cam3']) b.publish(frame(seq, cam));
    b.publish(end('cam1'));
    b.publish(end('cam3'));
    await one.waitFor((m) => m.type === 'stream-end');
    await two.waitFor((m) => m.type === 'stream-end' && m.cameraId === 'cam3');
    await all.waitFor((m) => m.type === 'stream-end' && m.cameraId === 'cam3');
    const seen = (c: WsTestClient) => c.received.filter((m) => m.type !== 'hello').map((m) => `${m.type}:${m.cameraId}:${m.seq ?? ''}`);
    assert.equal(seen(one), ['frame:cam1:0', 'frame:cam1:1', 'stream-end:cam1:']);
    assert.equal(seen(two), ['frame:cam2:0', 'frame:cam3:0', 'frame:cam2:1', 'frame:cam3:1', 'stream-end:cam3:']);
    assert.is(seen(all).length, 8);
    for (const message of all.received) assert.ok(validate(message).valid, JSON.stringify(message));
    assert.equal(all.received[1], wire(toWireV1(frame(0, 'cam1'))), 'a default client gets the v1 form of the event');
    await Promise.all([one.close(), two.close(), all.close()]);
  }));

test('subscribe narrows, subscribe adds, unsubscribe removes; each is acknowledged', () =>
  withBroadcaster(async (b, url) => {
    const { client } = await WsTestClient.connect(url);
    client.send({ type: 'subscribe', cameras: ['cam2'] });
    assert.equal(await client.waitFor((m) => m.type === 'subscription'), {
      schema: 'emotion-stream/event', v: 1, type: 'subscription', cameras: ['cam2'], excluded: [],
    });
    b.publish(frame(0, 'cam1'));
    b.publish(frame(0, 'cam2'));
    assert.is((await client.waitFor((m) => m.type === 'frame')).cameraId, 'cam2');
    client.send({ type: 'subscribe', cameras: ['cam1'] });
    assert.equal((await client.waitFor((m) => m.type === 'subscription')).cameras, ['cam1', 'cam2']);
    client.send({ type: 'unsubscribe', cameras: ['cam2'] });
    const reply = await client.waitFor((m) => m.type === 'subscription');
    assert.equal(reply.cameras, ['cam1']);
    assert.ok(validate(reply).valid);
    b.publish(frame(1, 'cam2'));
    b.publish(frame(1, 'cam1'));
    assert.is((await client.waitFor((m) => m.type === 'frame')).cameraId, 'cam1');
    await client.close();
  }));

test('a malformed message gets an error reply and the connection stays open', () =>
  withBroadcaster(async (b, url) => {
    const { client } = await WsTestClient.connect(url);
    client.send('this is not json');
    const reply = await client.waitFor((m) => m.type === 'error');
    assert.equal(reply, { schema: 'emotion-stream/event', v: 1, type: 'error', code: 'ERR_BAD_MESSAGE', message: 'message is not valid JSON' });
    assert.ok(validate(reply).valid);
    client.send(Buffer.from([1, 2, 3]));
    assert.match(String((await client.waitFor((m) => m.type === 'error')).message), 'binary');
    client.send({ type: 'subscribe', cameras: 'cam1' });
    assert.match(String((await client.waitFor((m) => m.type === 'error')).message), '"cameras" must be an array');
    b.publish(frame(0));
    assert.is((await client.waitFor((m) => m.type === 'frame')).seq, 0);
    assert.is(b.counters.badMessages, 3);
    assert.is(client.ws.readyState, client.ws.OPEN);
    await client.close();
  }));

/** Everything the server sent `client` before it answered a fresh subscribe (a barrier: replies follow earlier events). */
async function flush(client: WsTestClient): Promise<Record<string, unknown>[]> {
  client.send({ type: 'subscribe', cameras: ['cam1'] });
  await client.waitFor((m) => m.type === 'subscription');
  return client.received.slice(1, -1);
}

test('?v=2&types=track-end gets only v2 track-end events while a default client gets v1 events and no track events', () =>
  withBroadcaster(async (b, url) => {
    const { client: ends, hello } = await WsTestClient.connect(`${url}?v=2&types=track-end`);
    const { client: plain } = await WsTestClient.connect(url);
    assert.equal(hello, { schema: 'emotion-stream/event', v: 2, type: 'hello', cameras: [], types: ['track-end'] });
    const published = [streamStart('cam1'), trackedWithEvents(0), trackedWithEvents(1), streamEndWithTracks('cam1', 2)].flatMap(events);
    for (const event of published) b.publish(event);
    const [toEnds, toPlain] = await Promise.all([flush(ends), flush(plain)]);
    assert.equal(toEnds, published.filter((e) => e.type === 'track-end').map(wire));
    assert.equal(toEnds.map((m) => m.trackId), [3, 3, 1, 2]);
    assert.equal(toPlain.map((m) => m.type), ['stream-start', 'frame', 'frame', 'stream-end']);
    assert.equal(toPlain, published.filter((e) => !e.type.startsWith('track-') && e.type !== 'emotion-change').map((e) => wire(toWireV1(e))));
    for (const m of [...ends.received, ...plain.received]) assert.equal(validate(m), { valid: true, value: m }, JSON.stringify(m));
    assert.ok(toEnds.every((m) => m.v === 2) && toPlain.every((m) => m.v === 1));
    assert.ok(!JSON.stringify(toPlain).includes('trackId'), 'no tracking fields reach a v1 client');
    await Promise.all([ends.close(), plain.close()]);
  }));

test('a subscribe switches the version and the types and keeps the cameras; each reply says what is in force', () =>
  withBroadcaster(async (b, url) => {
    const { client } = await WsTestClient.connect(`${url}?cameras=cam1`);
    client.send({ type: 'subscribe', v: 2, types: ['emotion-change', 'frame'] });
    const reply = await client.waitFor((m) => m.type === 'subscription');
    assert.equal(reply, { schema: 'emotion-stream/event', v: 2, type: 'subscription', cameras: ['cam1'], excluded: [], types: ['frame', 'emotion-change'] });
    assert.ok(validate(reply).valid);
    for (const cam of ['cam2', 'cam1']) for (const event of events(trackedWithEvents(4, cam))) b.publish(event);
    client.send({ type: 'subscribe', v: 2 }); // changes nothing; its reply follows every event sent before
    await client.waitFor((m) => m.type === 'subscription');
    const got = client.received.slice(2, -1);
    assert.equal(got.map((m) => `${m.v}:${m.type}:${m.cameraId}`), ['2:frame:cam1', '2:emotion-change:cam1']);
    assert.equal(got, events(trackedWithEvents(4)).filter((e) => e.type === 'frame' || e.type === 'emotion-change').map(wire));
    client.send({ type: 'subscribe', v: 1, types: ['*'] });
    assert.equal(await client.waitFor((m) => m.type === 'subscription'), {
      schema: 'emotion-stream/event', v: 1, type: 'subscription', cameras: ['cam1'], excluded: [],
    });
    for (const event of events(trackedWithEvents(5))) b.publish(event);
    assert.equal(await client.waitFor((m) => m.type === 'frame'), wire(toWireV1(events(trackedWithEvents(5))[0])));
    await client.close();
  }));

test('bad ?v= or ?types= is refused with 400; a bad v or types in a subscribe gets an error reply and changes nothing', () =>
  withBroadcaster(async (b, url) => {
    assert.equal(await WsTestClient.refusal(`${url}?v=3`), { status: 400, body: '"v" must be 1 or 2, got "3"\n' });
    assert.match((await WsTestClient.refusal(`${url}?v=2&types=frame,frames`)).body, 'unknown event type "frames"');
    assert.equal(await WsTestClient.refusal(`${url}?types=track-end`), { status: 400, body: 'event type(s) track-end need "v" 2 (this selection has v 1)\n' });
    assert.is(b.counters.rejected, 3);
    const { client } = await WsTestClient.connect(`${url}?v=2&types=track-end`);
    client.send({ type: 'subscribe', v: 1 });
    const reply = await client.waitFor((m) => m.type === 'error');
    assert.equal(reply, {
      schema: 'emotion-stream/event', v: 2, type: 'error', code: 'ERR_BAD_MESSAGE', message: 'event type(s) track-end need "v" 2 (this selection has v 1)',
    });
    assert.ok(validate(reply).valid);
    client.send({ type: 'subscribe', cameras: ['cam9'], types: ['frame', 'nope'] });
    assert.match(String((await client.waitFor((m) => m.type === 'error')).message), 'unknown event type "nope"');
    client.send({ type: 'subscribe', v: '2' });
    assert.is((await client.waitFor((m) => m.type === 'error')).message, '"v" must be 1 or 2');
    for (const event of events(streamEndWithTracks('cam1'))) b.publish(event);
    assert.equal(await client.waitFor((m) => m.type === 'track-end'), wire(events(streamEndWithTracks('cam1'))[0]), 'still v2, track-end, every camera');
    assert.is(b.counters.badMessages, 3);
    await client.close();
  }));

test('stop closes every client with 1001 and refuses new connections', async () => {
  const broadcaster = new WebSocketBroadcaster();
  const { port } = await broadcaster.start({ port: 0 });
  const url = `ws://127.0.0.1:${port}/events`;
  const { client: a } = await WsTestClient.connect(url);
  const { client: b } = await WsTestClient.connect(url);
  assert.is(broadcaster.clientCount, 2);
  await broadcaster.stop();
  assert.equal(await Promise.all([a.closed(), b.closed()]), [1001, 1001]);
  assert.is(broadcaster.clientCount, 0);
  assert.is((await rejection(WsTestClient.connect(url))).code, 'ECONNREFUSED');
  await broadcaster.stop(); // idempotent
});

test('start refuses a port already in use with ERR_SINK', () =>
  withBroadcaster(async (_b, url) => {
    const other = new WebSocketBroadcaster();
    const port = Number(new URL(url).port);
    const err = await rejection(other.start({ port }));
    assert.is(err.code, 'ERR_SINK');
    assert.is(err.message, `cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
    await other.stop();
  }));

test('unknown paths get 404 and plain HTTP gets 426', () =>
  withBroadcaster(async (b, url) => {
    assert.is(await WsTestClient.refusedStatus(url.replace('/events', '/other')), 404);
    const res = await fetch(url.replace('ws:', 'http:'));
    assert.is(res.status, 426);
    await res.text();
    assert.is(b.counters.rejected, 1);
  }));

test('verifyToken: missing or wrong token -> 401; Bearer header or ?token= -> accepted', () =>
  withBroadcaster(
    async (b, url) => {
      assert.is(await WsTestClient.refusedStatus(url), 401);
      assert.is(await WsTestClient.refusedStatus(`${url}?token=wrong`), 401);
      assert.is(await WsTestClient.refusedStatus(url, { headers: { Authorization: 'Bearer wrong' } }), 401);
      const { client: header } = await WsTestClient.connect(url, { headers: { Authorization: 'Bearer s3cret' } });
      const { client: query } = await WsTestClient.connect(`${url}?token=s3cret&cameras=cam1`);
      assert.is(b.clientCount, 2);
      assert.is(b.counters.rejected, 3);
      await Promise.all([header.close(), query.close()]);
    },
    { verifyToken: async (token) => token === 's3cret' },
  ));

/** A frame event of about 100 KB (many faces), so a few hundred overflow the socket buffers. */
function bigFrame(seq: number): FrameEvent {
  const faces = Array.from({ length: 400 }, (_, i) => face(i % 2 ? 'happy' : 'sad', i));
  return toWireEvents(classifications(seq, 'cam1', faces), { now: () => T0 })[0] as FrameEvent;
}

test('a slow client loses frame events (counted) but never stream-start/end; a fast one loses nothing', () =>
  withBroadcaster(
    async (b, url) => {
      const { client: slow } = await WsTestClient.connect(url);
      const { client: fast } = await WsTestClient.connect(url);
      const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      b.publish(start('cam1'));
      const total = 300;
      for (let seq = 0; seq < total; seq++) {
        b.publish(bigFrame(seq));
        // Waiting for the fast client keeps its buffer empty, so only the paused one can lag.
        await fast.waitFor((m) => m.seq === seq, 5000);
      }
      b.publish(end('cam1'));
      await fast.waitFor((m) => m.type === 'stream-end');
      const dropped = b.counters.dropped;
      assert.ok(dropped > 0, 'the paused client dropped frames');
      socket.resume();
      await slow.waitFor((m) => m.type === 'stream-end', 10_000);
      const types = (c: WsTestClient) => c.received.map((m) => m.type);
      const slowFrames = types(slow).filter((t) => t === 'frame').length;
      assert.is(slowFrames + dropped, total, 'every frame was either delivered or counted as dropped');
      assert.is(types(slow)[1], 'stream-start');
      assert.is(types(fast).filter((t) => t === 'frame').length, total);
      assert.is(b.counters.published, total + 2);
      await Promise.all([slow.close(), fast.close()]);
    },
    { maxBufferedBytes: 256 * 1024 },
  ));

test.run();
