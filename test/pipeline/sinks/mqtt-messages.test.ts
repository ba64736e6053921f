import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MQTT_DEFAULT_EVENT_TYPES } from '../../../config/schema.ts';
import { cameraStateEvent, toWireEvents, type WireEvent, type WireEventType } from '../../../pipeline/events/wire-event.ts';
import { MqttMessages, type MqttMessage } from '../../../pipeline/sinks/mqtt-messages.ts';
import { MqttTopics, topicLevel } from '../../../pipeline/sinks/mqtt-topics.ts';
import { T0, classifications, face, stable, streamEnd, streamEndWithTracks, streamStart, tracked } from '../events/sample-messages.ts';

const topics = new MqttTopics('emotion-stream');

function mapper(options: { retain?: boolean; eventTypes?: readonly WireEventType[]; personStateIntervalMs?: number } = {}): MqttMessages {
  return new MqttMessages({ topics, retain: options.retain ?? true, eventTypes: options.eventTypes ?? MQTT_DEFAULT_EVENT_TYPES, personStateIntervalMs: options.personStateIntervalMs ?? 1000 });
}

/** Stream-start, `frames` frames with tracks 1 (neutral) and 2 (happy), stream-end closing both. */
function trackedStream(frames: number): WireEvent[] {
  const events = toWireEvents(streamStart());
  for (let seq = 0; seq < frames; seq++) events.push(...toWireEvents(tracked(classifications(seq)), { now: () => T0 + 999 }));
  events.push(...toWireEvents(streamEndWithTracks('cam1', frames)));
  return events;
}

const all = (m: MqttMessages, events: WireEvent[]): MqttMessage[] => events.flatMap((e) => m.messagesFor(e));
const on = (messages: MqttMessage[], topic: string) => messages.filter((msg) => msg.topic === topic);
const json = (msg: MqttMessage) => JSON.parse(msg.payload) as Record<string, unknown>;

test('topics: prefix, camera, person; a camera id cannot escape its level; a bad prefix is refused', () => {
  assert.is(topics.availability, 'emotion-stream/availability');
  assert.is(topics.cameraState('cam1'), 'emotion-stream/cam1/state');
  assert.is(topics.cameraEvents('cam1'), 'emotion-stream/cam1/events');
  assert.is(topics.personState('cam1', 7), 'emotion-stream/cam1/person/7/state');
  assert.is(new MqttTopics('home/emotions').cameraState('door'), 'home/emotions/door/state');
  assert.is(topicLevel('a/b+#c d'), 'a_b__c_d');
  for (const bad of ['', 'a/', '/a', 'a//b', 'a/+', '#', 'a b']) assert.throws(() => new MqttTopics(bad), /topic prefix/, bad);
});

test('a tracked stream: camera live -> people -> ended, person state on arrival and every interval, cleared at track end', () => {
  const messages = all(mapper(), trackedStream(61));
  const camera = on(messages, topics.cameraState('cam1')).map(json);
  assert.equal(camera.map((c) => [c.state, c.people]), [['live', 0], ['live', 2], ['live', 1], ['live', 0], ['ended', 0]]);
  assert.equal(camera[0], { cameraId: 'cam1', state: 'live', source: '/videos/lobby.mp4', at: T0, people: 0 });
  assert.equal(camera[4], { cameraId: 'cam1', state: 'ended', reason: 'eof', at: T0 + 5000, people: 0 });

  const person1 = on(messages, topics.personState('cam1', 1));
  // Frames are 33.37 ms apart: seq 0, then the first frame 1000 ms later (seq 30), then seq 60; then cleared.
  assert.equal(person1.map((m) => (m.payload === '' ? 'cleared' : json(m).lastSeenPtsMs)), [0, 1001, 2002, 'cleared']);
  assert.ok(person1.every((m) => m.retain && m.kind === 'state'));
  const first = json(person1[0]);
  const capturedAt = Math.round(T0 + 100);
  assert.equal(first, {
    cameraId: 'cam1', trackId: 1, emotion: 'neutral', confidence: 0.5512, since: capturedAt,
    lastSeen: capturedAt, lastSeenIso: new Date(capturedAt).toISOString(), lastSeenPtsMs: 0,
  });
  assert.is(json(person1[2]).since, capturedAt, 'since stays the first frame');
  assert.is(json(on(messages, topics.personState('cam1', 2))[0]).emotion, 'happy');

  const events = on(messages, topics.cameraEvents('cam1'));
  assert.equal(events.map((m) => json(m).type), ['stream-start', 'track-end', 'track-end', 'stream-end'], 'no frame events by default');
  assert.ok(events.every((m) => !m.retain && m.kind === 'event'));
});

test('a change of stable emotion is published at once, inside the interval', () => {
  const m = mapper({ personStateIntervalMs: 60_000 });
  m.messagesFor(toWireEvents(streamStart())[0]);
  const frame = (seq: number, label: 'happy' | 'neutral') => {
    const msg = classifications(seq, 'cam1', [face()]);
    return toWireEvents({ ...msg, faces: [{ ...msg.faces[0], trackId: 4, stable: stable(label) }] })[0];
  };
  const published = [frame(0, 'neutral'), frame(1, 'neutral'), frame(2, 'happy'), frame(3, 'happy')]
    .map((e) => on(m.messagesFor(e), topics.personState('cam1', 4)).map((msg) => json(msg).emotion));
  assert.equal(published, [['neutral'], [], ['happy'], []]);
});

test('eventTypes with frame, retain off: every frame on the events topic, states not retained', () => {
  const messages = all(mapper({ retain: false, eventTypes: ['frame', 'stream-end'], personStateIntervalMs: 0 }), trackedStream(3));
  assert.equal(on(messages, topics.cameraEvents('cam1')).map((m) => json(m).type), ['frame', 'frame', 'frame', 'stream-end']);
  assert.is(on(messages, topics.personState('cam1', 1)).length, 4, 'interval 0: every frame, then the clear');
  assert.ok(messages.filter((m) => m.kind === 'state').every((m) => !m.retain));
});

test('untracked frames publish no person state; an error end and camera-state changes set the camera state', () => {
  const m = mapper();
  const untracked = [...toWireEvents(streamStart('door')), ...toWireEvents(classifications(0, 'door'))];
  assert.equal(all(m, untracked).map((msg) => msg.topic), ['emotion-stream/door/events', 'emotion-stream/door/state']);

  const ended = m.messagesFor(toWireEvents({ ...streamEnd('door'), reason: 'error', error: { code: 'ERR_SOURCE_STALLED', message: 'no frame for 5 s' } })[0]);
  assert.equal(json(on(ended, topics.cameraState('door'))[0]), {
    cameraId: 'door', state: 'error', reason: 'error', error: { code: 'ERR_SOURCE_STALLED', message: 'no frame for 5 s' }, at: T0 + 5000, people: 0,
  });
  const change = cameraStateEvent({ cameraId: 'door', state: 'reconnecting', previous: 'live', at: T0 + 6000, attempt: 2, error: { code: 'ERR_SOURCE_STALLED', message: 'stalled' }, retryInMs: 1000 });
  const reconnecting = m.messagesFor(change);
  assert.equal(json(on(reconnecting, topics.cameraState('door'))[0]), {
    cameraId: 'door', state: 'reconnecting', previous: 'live', error: { code: 'ERR_SOURCE_STALLED', message: 'stalled' }, at: T0 + 6000, people: 0,
  });
  assert.is(json(on(reconnecting, topics.cameraEvents('door'))[0]).type, 'camera-state');
});

test('a stream that ends without the track-end of an open track still clears its person state', () => {
  const m = mapper();
  const events = [...toWireEvents(streamStart()), ...toWireEvents(tracked(classifications(0))), ...toWireEvents(streamEnd())];
  const messages = all(m, events);
  assert.equal(on(messages, topics.personState('cam1', 1)).map((msg) => msg.payload === ''), [false, true]);
  assert.equal(on(messages, topics.personState('cam1', 2)).map((msg) => msg.payload === ''), [false, true]);
  assert.equal(json(on(messages, topics.cameraState('cam1')).pop()!).people, 0);
});

test.run();
