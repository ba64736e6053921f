import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { EVENTS_SCHEMA_URL, EVENTS_SCHEMA_URLS, createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { WIRE_EVENT_TYPES, toWireEvents, toWireV1, type FrameEvent, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { T0, classifications, streamEnd, streamEndWithTracks, streamStart, tracked, trackedWithEvents } from './sample-messages.ts';

const validate = createEventValidator();
const schemas = { 1: JSON.parse(readFileSync(EVENTS_SCHEMA_URLS[1], 'utf8')), 2: JSON.parse(readFileSync(EVENTS_SCHEMA_URLS[2], 'utf8')) };
const now = () => T0 + 400;

/** A v2 frame event with tracked faces. */
function frame(): FrameEvent {
  return toWireEvents(tracked(classifications(5)), { now })[0] as FrameEvent;
}

function errorsOf(value: unknown): string[] {
  const result = validate(value);
  return result.valid ? [] : result.errors;
}

const [, trackStart, emotionChange, trackEnd] = toWireEvents(trackedWithEvents(5), { now });
const envelope = (v: number) => ({ schema: 'emotion-stream/event', v });

/** Valid objects of each version, by type. */
const valid: Record<1 | 2, Record<string, unknown>> = {
  1: {
    'stream-start': toWireV1(toWireEvents(streamStart())[0]),
    frame: toWireV1(frame()),
    'stream-end': toWireV1(toWireEvents(streamEnd())[0]),
    hello: { ...envelope(1), type: 'hello', cameras: ['cam1', 'cam2'] },
    subscription: { ...envelope(1), type: 'subscription', cameras: '*', excluded: ['cam2'] },
    error: { ...envelope(1), type: 'error', code: 'ERR_BAD_MESSAGE', message: 'message is not valid JSON' },
  },
  2: {
    'stream-start': toWireEvents(streamStart())[0],
    frame: frame(),
    'stream-end': toWireEvents(streamEnd())[0],
    'track-start': trackStart,
    'emotion-change': emotionChange,
    'track-end': trackEnd,
    hello: { ...envelope(2), type: 'hello', cameras: ['cam1'], types: ['frame', 'track-end'] },
    subscription: { ...envelope(2), type: 'subscription', cameras: '*', excluded: [], types: '*' },
    error: { ...envelope(2), type: 'error', code: 'ERR_BAD_MESSAGE', message: 'message is not valid JSON' },
  },
};

test('valid events and server messages of both versions pass', () => {
  for (const v of [1, 2] as const) for (const [type, value] of Object.entries(valid[v])) assert.equal(errorsOf(value), [], `v${v} ${type}`);
});

test('each object is checked against the schema of its own version', () => {
  const v1Frame = { ...frame(), v: 1 };
  assert.equal(errorsOf(v1Frame), ['/faces/0 must NOT have additional properties (trackId)', '/faces/0 must NOT have additional properties (stable)', '/faces/1 must NOT have additional properties (trackId)', '/faces/1 must NOT have additional properties (stable)']);
  assert.equal(errorsOf({ ...trackEnd, v: 1 }), ['/type must be one of stream-start, frame, stream-end, camera-state, hello, subscription, error (version 1)']);
  assert.equal(errorsOf({ ...(valid[1].hello as object), v: 2 }), ["(root) must have required property 'types'"]);
  assert.equal(errorsOf({ ...(valid[2].hello as object), v: 1 }), ['(root) must NOT have additional properties (types)']);
});

test('a confidence above 1 is rejected with its path, raw or stable', () => {
  const event = frame();
  event.faces[0].confidence = 1.5;
  event.faces[1].stable!.confidence = 1.5;
  assert.equal(errorsOf(event), ['/faces/0/confidence must be <= 1', '/faces/1/stable/confidence must be <= 1']);
});

test('an unknown emotion label is rejected', () => {
  const event = frame() as unknown as { faces: Array<{ label: string }> };
  event.faces[1].label = 'contempt';
  assert.equal(errorsOf(event), [`/faces/1/label must be equal to one of the allowed values (${EMOTIONS.join(', ')})`]);
});

test('unknown fields, missing fields, bad track ids and bad timestamps are rejected', () => {
  assert.equal(errorsOf({ ...frame(), extra: 1 }), ['(root) must NOT have additional properties (extra)']);
  const { seq: _seq, ...noSeq } = frame();
  assert.equal(errorsOf(noSeq), ["(root) must have required property 'seq'"]);
  assert.equal(errorsOf({ ...frame(), capturedAtIso: '2025-05-17 09:30' }).length, 1);
  assert.equal(errorsOf({ ...frame(), capturedAt: 12.5 }), ['/capturedAt must be integer']);
  const scores = frame();
  delete (scores.faces[0].scores as Partial<typeof scores.faces[0]['scores']>).fear;
  assert.equal(errorsOf(scores), ["/faces/0/scores must have required property 'fear'"]);
  const badId = frame();
  badId.faces[0].trackId = 0;
  assert.equal(errorsOf(badId), ['/faces/0/trackId must be >= 1']);
  assert.equal(errorsOf({ ...trackStart, trackId: 1.5 }), ['/trackId must be integer']);
});

test('track-end needs all seven shares and a known dominant emotion', () => {
  const end = toWireEvents(streamEndWithTracks())[0] as Extract<WireEvent, { type: 'track-end' }>;
  const { sad: _sad, ...share } = end.share;
  assert.equal(errorsOf({ ...end, share }), ["/share must have required property 'sad'"]);
  assert.equal(errorsOf({ ...end, dominant: 'bored' }), [`/dominant must be equal to one of the allowed values (${EMOTIONS.join(', ')})`]);
  assert.equal(errorsOf({ ...end, frames: 0 }), ['/frames must be >= 1']);
});

test('an unknown version or type is rejected with the list of versions or types', () => {
  assert.equal(errorsOf({ ...frame(), v: 3 }), ['/v must be one of 1, 2']);
  assert.equal(errorsOf('frame'), ['/v must be one of 1, 2']);
  assert.equal(errorsOf(null), ['/v must be one of 1, 2']);
  assert.equal(errorsOf({ ...frame(), type: 'frames' }), [`/type must be one of ${WIRE_EVENT_TYPES.join(', ')}, hello, subscription, error (version 2)`]);
});

test('EVENTS_SCHEMA_URL is the version the pipeline produces', () => {
  assert.is(EVENTS_SCHEMA_URL.href, EVENTS_SCHEMA_URLS[2].href);
  assert.match(EVENTS_SCHEMA_URLS[1].pathname, /schema\/events\.v1\.json$/);
});

test('each schema root (what other languages use) accepts its valid objects and rejects a bad one', () => {
  for (const v of [1, 2] as const) {
    const root = new Ajv({ strict: true }).compile(schemas[v]);
    for (const [type, value] of Object.entries(valid[v])) assert.ok(root(value), `v${v} ${type}`);
    const bad = valid[v].frame as FrameEvent;
    assert.not.ok(root({ ...bad, faces: [{ ...bad.faces[0], confidence: -0.1 }] }));
    assert.not.ok(root(valid[v === 1 ? 2 : 1].frame), `v${v} rejects the other version's frame`);
  }
});

test('the schema labels are exactly the model classes, and v2 event types are the wire types', () => {
  for (const v of [1, 2] as const) {
    assert.equal(schemas[v].definitions.emotion.enum, [...EMOTIONS]);
    assert.equal(Object.keys(schemas[v].definitions.scores.properties), [...EMOTIONS]);
  }
  assert.equal(Object.keys(schemas[2].definitions.emotionShare.properties), [...EMOTIONS]);
  assert.equal(schemas[2].definitions.eventType.enum, WIRE_EVENT_TYPES);
});

test('every field of every object in both schemas is described', () => {
  for (const v of [1, 2] as const) {
    const schema = schemas[v];
    const undescribed: string[] = [];
    for (const [name, definition] of Object.entries<Record<string, unknown>>(schema.definitions)) {
      if (typeof definition.description !== 'string') undescribed.push(name);
      const properties = (definition.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [field, spec] of Object.entries(properties)) {
        const ref = typeof spec.$ref === 'string' ? schema.definitions[spec.$ref.split('/').pop() as string] : undefined;
        if (typeof spec.description !== 'string' && typeof ref?.description !== 'string') undescribed.push(`${name}.${field}`);
      }
    }
    assert.equal(undescribed, [], `v${v}`);
  }
});

test('schema/events.v2.json is v1 plus tracking: every v1 definition is still there', () => {
  const missing = Object.keys(schemas[1].definitions).filter((name) => !(name in schemas[2].definitions));
  assert.equal(missing, []);
  assert.is(schemas[2].definitions.version.const, 2);
});

test.run();
