import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_SELECTION,
  changeSelection,
  parseClientRequest,
  selectionFromQuery,
  selects,
  type EventSelection,
} from '../../../pipeline/events/client-request.ts';
import { WIRE_EVENT_TYPES } from '../../../pipeline/events/wire-event.ts';
import { EmotionStreamError } from '../../../common/errors.ts';

/** The ERR_BAD_MESSAGE message `run` throws. */
function badMessage(run: () => unknown, what: string): string {
  try {
    run();
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_BAD_MESSAGE');
    return (err as Error).message;
  }
  throw new Error(`expected ${what} to be rejected`);
}

const failure = (text: string) => badMessage(() => parseClientRequest(text), text);
const queryFailure = (query: string) => badMessage(() => selectionFromQuery(new URLSearchParams(query)), query);
const fromQuery = (query: string) => selectionFromQuery(new URLSearchParams(query));

test('subscribe and unsubscribe parse', () => {
  assert.equal(parseClientRequest('{"type":"subscribe","cameras":["cam1","cam2"]}'), { type: 'subscribe', cameras: ['cam1', 'cam2'] });
  assert.equal(parseClientRequest('{"type":"unsubscribe","cameras":["*"]}'), { type: 'unsubscribe', cameras: ['*'] });
});

test('subscribe may carry v and types, with or without cameras; types come back in wire order, once', () => {
  assert.equal(parseClientRequest('{"type":"subscribe","v":2,"types":["track-end","frame","track-end"]}'), {
    type: 'subscribe', v: 2, types: ['frame', 'track-end'],
  });
  assert.equal(parseClientRequest('{"type":"subscribe","cameras":["cam1"],"v":1}'), { type: 'subscribe', cameras: ['cam1'], v: 1 });
  assert.equal(parseClientRequest('{"type":"subscribe","types":["frame","*"]}'), { type: 'subscribe', types: '*' });
});

test('malformed requests are rejected with a message fit for the client', () => {
  assert.is(failure('{"type":'), 'message is not valid JSON');
  assert.is(failure('[1,2]'), 'message must be a JSON object');
  assert.is(failure('{"type":"subscrib","cameras":["a"]}'), 'unknown message type "subscrib"; expected "subscribe" or "unsubscribe"');
  assert.is(failure('{"type":"subscribe"}'), 'a subscribe needs "cameras", "v" or "types"');
  assert.is(failure('{"type":"unsubscribe"}'), '"cameras" must be an array of 1..256 camera ids');
  assert.is(failure('{"type":"subscribe","cameras":[]}'), '"cameras" must be an array of 1..256 camera ids');
  assert.match(failure('{"type":"subscribe","cameras":["a",7]}'), 'non-empty strings');
  assert.match(failure('{"type":"subscribe","cameras":[""]}'), 'non-empty strings');
  assert.is(failure('{"type":"subscribe","cameras":["a"],"camera":"b"}'), 'unexpected field(s): camera');
});

test('bad v and types in a subscribe are rejected; unsubscribe takes neither', () => {
  for (const v of ['3', '"2"', '0', '1.5', 'null']) assert.is(failure(`{"type":"subscribe","v":${v}}`), '"v" must be 1 or 2', v);
  for (const types of ['"frame"', '[]', '{}']) assert.is(failure(`{"type":"subscribe","types":${types}}`), '"types" must be an array of 1..32 event types, or ["*"] for every type', types);
  assert.is(failure('{"type":"subscribe","types":["frames"]}'), `unknown event type "frames"; expected "*" or some of ${WIRE_EVENT_TYPES.join(', ')}`);
  assert.match(failure('{"type":"subscribe","types":["frame",7]}'), 'unknown event type 7');
  assert.is(failure('{"type":"unsubscribe","cameras":["a"],"v":2,"types":["frame"]}'), 'unexpected field(s): v, types');
});

test('the upgrade URL picks the version and types; nothing asked means v1 and every type', () => {
  assert.equal(fromQuery(''), DEFAULT_SELECTION);
  assert.equal(DEFAULT_SELECTION, { v: 1, types: '*' });
  assert.equal(fromQuery('v=&types='), { v: 1, types: '*' });
  assert.equal(fromQuery('v=2'), { v: 2, types: '*' });
  assert.equal(fromQuery('v=2&types=track-end, frame'), { v: 2, types: ['frame', 'track-end'] });
  assert.equal(fromQuery('types=frame,stream-end&cameras=cam1'), { v: 1, types: ['frame', 'stream-end'] });
  assert.equal(fromQuery('v=1&types=*'), { v: 1, types: '*' });
});

test('bad ?v= and ?types= are rejected, and so are track types with v 1', () => {
  assert.is(queryFailure('v=3'), '"v" must be 1 or 2, got "3"');
  assert.is(queryFailure('v=2.0'), '"v" must be 1 or 2, got "2.0"');
  assert.match(queryFailure('v=2&types=frame,bogus'), 'unknown event type "bogus"');
  assert.is(queryFailure('types=frame,track-end'), 'event type(s) track-end need "v" 2 (this selection has v 1)');
});

test('changeSelection replaces v and types, each only when given, and refuses a type the version lacks', () => {
  const v2ends: EventSelection = { v: 2, types: ['track-end'] };
  assert.equal(changeSelection(DEFAULT_SELECTION, { v: 2, types: ['track-end'] }), v2ends);
  assert.equal(changeSelection(v2ends, { types: ['frame'] }), { v: 2, types: ['frame'] });
  assert.equal(changeSelection(v2ends, { types: '*' }), { v: 2, types: '*' });
  assert.equal(changeSelection(v2ends, {}), v2ends);
  assert.equal(changeSelection({ v: 2, types: ['frame'] }, { v: 1 }), { v: 1, types: ['frame'] });
  assert.is(
    badMessage(() => changeSelection(v2ends, { v: 1 }), 'v1 with track-end'),
    'event type(s) track-end need "v" 2 (this selection has v 1)',
  );
});

test('selects: a type must exist in the version and be chosen', () => {
  assert.equal(WIRE_EVENT_TYPES.filter((t) => selects(DEFAULT_SELECTION, t)), ['stream-start', 'frame', 'stream-end', 'camera-state']);
  assert.equal(WIRE_EVENT_TYPES.filter((t) => selects({ v: 2, types: '*' }, t)), WIRE_EVENT_TYPES);
  assert.equal(WIRE_EVENT_TYPES.filter((t) => selects({ v: 2, types: ['frame', 'track-end'] }, t)), ['frame', 'track-end']);
});

test.run();
