import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { EVENTS_SCHEMA_URL, createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireEvent, type FrameEvent } from '../../../pipeline/events/wire-event.ts';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { T0, classifications, streamEnd, streamStart } from './sample-messages.ts';

const validate = createEventValidator();
const schema = JSON.parse(readFileSync(EVENTS_SCHEMA_URL, 'utf8'));

function frame(): FrameEvent {
  return toWireEvent(classifications(5), { now: () => T0 + 400 }) as FrameEvent;
}

function errorsOf(value: unknown): string[] {
  const result = validate(value);
  return result.valid ? [] : result.errors;
}

const valid: Record<string, unknown> = {
  'stream-start': toWireEvent(streamStart()),
  frame: frame(),
  'stream-end': toWireEvent(streamEnd()),
  hello: { schema: 'emotion-stream/event', v: 1, type: 'hello', cameras: ['cam1', 'cam2'] },
  subscription: { schema: 'emotion-stream/event', v: 1, type: 'subscription', cameras: '*', excluded: ['cam2'] },
  error: { schema: 'emotion-stream/event', v: 1, type: 'error', code: 'ERR_BAD_MESSAGE', message: 'message is not valid JSON' },
};

test('valid events and server messages pass', () => {
  for (const [type, value] of Object.entries(valid)) assert.equal(errorsOf(value), [], type);
});

test('a confidence above 1 is rejected with its path', () => {
  const event = frame();
  event.faces[0].confidence = 1.5;
  assert.equal(errorsOf(event), ['/faces/0/confidence must be <= 1']);
});

test('an unknown emotion label is rejected', () => {
  const event = frame() as unknown as { faces: Array<{ label: string }> };
  event.faces[1].label = 'contempt';
  assert.equal(errorsOf(event), [`/faces/1/label must be equal to one of the allowed values (${EMOTIONS.join(', ')})`]);
});

test('unknown fields, missing fields, wrong envelope and bad timestamps are rejected', () => {
  assert.equal(errorsOf({ ...frame(), extra: 1 }), ['(root) must NOT have additional properties (extra)']);
  const { seq: _seq, ...noSeq } = frame();
  assert.equal(errorsOf(noSeq), ["(root) must have required property 'seq'"]);
  assert.equal(errorsOf({ ...frame(), v: 2 }), ['/v must be equal to constant']);
  assert.equal(errorsOf({ ...frame(), capturedAtIso: '2025-05-17 09:30' }).length, 1);
  assert.equal(errorsOf({ ...frame(), capturedAt: 12.5 }), ['/capturedAt must be integer']);
  const scores = frame();
  delete (scores.faces[0].scores as Partial<typeof scores.faces[0]['scores']>).fear;
  assert.equal(errorsOf(scores), ["/faces/0/scores must have required property 'fear'"]);
});

test('an unknown or missing type is rejected with the list of types', () => {
  const expected = ['/type must be one of stream-start, frame, stream-end, camera-state, hello, subscription, error'];
  assert.equal(errorsOf({ ...frame(), type: 'frames' }), expected);
  assert.equal(errorsOf('frame'), expected);
  assert.equal(errorsOf(null), expected);
});

test('the schema root (what other languages use) accepts each valid object and rejects a bad one', () => {
  const root = new Ajv({ strict: true }).compile(schema);
  for (const [type, value] of Object.entries(valid)) assert.ok(root(value), type);
  assert.not.ok(root({ ...frame(), faces: [{ ...frame().faces[0], confidence: -0.1 }] }));
});

test('the schema labels are exactly the model classes', () => {
  assert.equal(schema.definitions.emotion.enum, [...EMOTIONS]);
  assert.equal(Object.keys(schema.definitions.scores.properties), [...EMOTIONS]);
});

test('every field of every object in the schema is described', () => {
  const undescribed: string[] = [];
  for (const [name, definition] of Object.entries<Record<string, unknown>>(schema.definitions)) {
    if (typeof definition.description !== 'string') undescribed.push(name);
    const properties = (definition.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [field, spec] of Object.entries(properties)) {
      const ref = typeof spec.$ref === 'string' ? schema.definitions[spec.$ref.split('/').pop() as string] : undefined;
      if (typeof spec.description !== 'string' && typeof ref?.description !== 'string') undescribed.push(`${name}.${field}`);
    }
  }
  assert.equal(undescribed, []);
});

test.run();
