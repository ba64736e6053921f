import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { EventSink } from '../../../pipeline/events/event-sink.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireV1, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import type { PipelineMsg } from '../../../pipeline/messages.ts';
import { JsonlWriter } from '../../../pipeline/sinks/jsonl-writer.ts';
import { WebSocketBroadcaster } from '../../../pipeline/sinks/websocket-broadcaster.ts';
import { emitEvents, type EmitEventsStats } from '../../../pipeline/stages/emit-events.ts';
import { tempDir } from '../../helpers/paths.ts';
import { WsTestClient } from '../events/ws-test-client.ts';
import { T0, classifications, detections, streamEnd, streamEndWithTracks, streamStart, trackedWithEvents } from '../events/sample-messages.ts';

const now = () => T0 + 500;
const validate = createEventValidator();

/** A sink that records what it is handed. */
function recorder(name = 'recorder'): EventSink & { events: WireEvent[] } {
  const events: WireEvent[] = [];
  return { name, events, handle: (event) => void events.push(event) };
}

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.equal(actual, expected));
}

const values: Record<string, PipelineMsg> = {
  s: streamStart(),
  d: detections(0),
  c: classifications(0),
  e: streamEnd('cam1', 1),
};

test('marbles: messages pass through unchanged and in order; sinks get stream-start, frame, stream-end', () => {
  const sink = recorder();
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('s-d-c-e|', values);
    expectObservable(source.pipe(emitEvents({ sinks: [sink], now }))).toBe('s-d-c-e|', values);
  });
  assert.equal(sink.events.map((e) => e.type), ['stream-start', 'frame', 'stream-end']);
  for (const event of sink.events) assert.ok(validate(event).valid);
});

test('a frame hands over its track events after it, a stream-end the track-ends of open tracks before it; each counts', () => {
  const sink = recorder();
  const stats: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
  const input = new Subject<PipelineMsg>();
  const out: PipelineMsg[] = [];
  input.pipe(emitEvents({ sinks: [sink], now, stats })).subscribe((msg) => out.push(msg));
  const messages = [streamStart(), trackedWithEvents(0), streamEndWithTracks('cam1', 1)];
  for (const msg of messages) input.next(msg);
  assert.equal(out, messages);
  assert.equal(sink.events.map((e) => `${e.type}${'trackId' in e ? e.trackId : ''}`), [
    'stream-start', 'frame', 'track-start1', 'emotion-change2', 'track-end3', 'track-end1', 'track-end2', 'stream-end',
  ]);
  assert.equal(stats, { events: 8, conversionErrors: 0, sinkErrors: {} });
  for (const event of sink.events) assert.equal(validate(event), { valid: true, value: event }, event.type);
});

test('marbles: source errors and completion propagate; empty emits nothing', () => {
  const sink = recorder();
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('s-#', values, new Error('capture died')).pipe(emitEvents({ sinks: [sink], now }))).toBe('s-#', values, new Error('capture died'));
    expectObservable(cold<PipelineMsg>('|').pipe(emitEvents({ sinks: [sink], now }))).toBe('|');
  });
  assert.is(sink.events.length, 1);
});

test('marbles: unsubscribing stops handing events to sinks', () => {
  const sink = recorder();
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('s-c-e|', values).pipe(emitEvents({ sinks: [sink], now })), '^--!').toBe('s-c', values);
  });
  assert.equal(sink.events.map((e) => e.type), ['stream-start', 'frame']);
});

test('the very same message objects pass through, untouched', () => {
  const input = new Subject<PipelineMsg>();
  const out: PipelineMsg[] = [];
  input.pipe(emitEvents({ sinks: [recorder()], now })).subscribe((msg) => out.push(msg));
  const msg = classifications(3);
  const before = structuredClone(msg);
  input.next(msg);
  assert.ok(out[0] === msg);
  assert.equal(msg, before);
});

test('a throwing sink and a rejecting sink are counted; the stream and the other sinks carry on', async () => {
  const good = recorder('good');
  const throwing: EventSink = { name: 'throws', handle: () => { throw new Error('socket gone'); } };
  const rejecting: EventSink = { name: 'rejects', handle: () => Promise.reject(new Error('disk full')) };
  const stats: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
  const input = new Subject<PipelineMsg>();
  const out: PipelineMsg[] = [];
  let completed = false;
  input.pipe(emitEvents({ sinks: [throwing, rejecting, good], now, stats })).subscribe({
    next: (msg) => out.push(msg),
    complete: () => (completed = true),
  });
  for (const msg of [streamStart(), classifications(0), classifications(1), streamEnd('cam1', 2)]) input.next(msg);
  input.complete();
  await new Promise((resolve) => setImmediate(resolve)); // let the rejections settle
  assert.is(out.length, 4);
  assert.ok(completed);
  assert.is(good.events.length, 4);
  assert.equal(stats, { events: 4, conversionErrors: 0, sinkErrors: { throws: 4, rejects: 4 } });
});

test('a malformed message is counted and still passes through', () => {
  const stats: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
  const broken = { kind: 'classifications', v: 1 } as unknown as PipelineMsg; // no meta: e.g. a bad bus payload
  const input = new Subject<PipelineMsg>();
  const out: PipelineMsg[] = [];
  input.pipe(emitEvents({ sinks: [recorder()], now, stats })).subscribe((msg) => out.push(msg));
  input.next(broken);
  input.next(classifications(1));
  assert.equal(out, [broken, classifications(1)]);
  assert.equal(stats, { events: 1, conversionErrors: 1, sinkErrors: {} });
});

test('a v2 WebSocket client and events.jsonl receive the same objects; a default client their v1 form', async () => {
  const { dir, cleanup } = tempDir();
  const broadcaster = new WebSocketBroadcaster();
  try {
    const { port } = await broadcaster.start({ port: 0 });
    const { client } = await WsTestClient.connect(`ws://127.0.0.1:${port}/events?v=2`);
    const { client: v1 } = await WsTestClient.connect(`ws://127.0.0.1:${port}/events`);
    const writer = await JsonlWriter.open(join(dir, 'events.jsonl'));
    const input = new Subject<PipelineMsg>();
    input.pipe(emitEvents({ sinks: [broadcaster, writer], now })).subscribe();
    for (const msg of [streamStart(), detections(0), trackedWithEvents(0), classifications(1), streamEndWithTracks('cam1', 2)]) input.next(msg);
    await Promise.all([client.waitFor((m) => m.type === 'stream-end'), v1.waitFor((m) => m.type === 'stream-end')]);
    await writer.close();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as WireEvent);
    assert.is(lines.length, 9);
    assert.ok(lines.every((line) => line.v === 2 && validate(line).valid));
    assert.equal(client.received.slice(1), lines);
    assert.equal(v1.received.slice(1), lines.map(toWireV1).filter((e) => e !== undefined));
    await Promise.all([client.close(), v1.close()]);
  } finally {
    await broadcaster.stop();
    cleanup();
  }
});

test.run();
