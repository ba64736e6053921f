import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { cameraStateEvent, toWireEvents, toWireV1, type FrameEvent, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import type { PipelineMsg } from '../../../pipeline/messages.ts';
import {
  T0,
  classifications,
  detections,
  faultedClassifications,
  streamEnd,
  streamEndWithTracks,
  streamStart,
  tracked,
  trackedWithEvents,
} from './sample-messages.ts';

const validate = createEventValidator();
const now = () => T0 + 250.6;
const failedEnd = () => ({ ...streamEnd(), reason: 'error' as const, error: { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' } });
const stateChange = { cameraId: 'door', state: 'reconnecting', previous: 'live', attempt: 3, retryInMs: 4180.4, error: { code: 'ERR_SOURCE_STALLED', message: 'no frame for 5000 ms' }, at: T0 } as const;

/** The single event a message becomes. */
function only(msg: PipelineMsg): WireEvent {
  const events = toWireEvents(msg, { now });
  assert.is(events.length, 1, `${msg.kind} gives one event`);
  return events[0];
}

function assertValid(event: unknown): void {
  const result = validate(JSON.parse(JSON.stringify(event)));
  assert.ok(result.valid, `${(event as { type?: string }).type}: ${result.valid ? '' : result.errors.join('; ')}`);
}

/**
 * What version 1 clients received before v2 existed (the v1 toWireEvent's JSON, recorded), for
 * stream-start('lobby'), classifications(3), faultedClassifications(7), a failed stream-end and a camera-state.
 */
const V1_GOLDEN = [
  '{"schema":"emotion-stream/event","v":1,"type":"stream-start","cameraId":"lobby","source":"/videos/lobby.mp4","width":640,"height":480,"fps":29.97,"startedAt":1747474200000}',
  '{"schema":"emotion-stream/event","v":1,"type":"frame","cameraId":"cam1","seq":3,"ptsMs":100.1,"capturedAt":1747474200200,"capturedAtIso":"2025-05-17T09:30:00.200Z","emittedAt":1747474200251,"modelVersion":"fer2013-cnn@1.2.0","frameWidth":640,"frameHeight":480,"faces":[{"box":{"x":101,"y":88,"width":120,"height":121},"label":"happy","confidence":0.8712,"scores":{"angry":0.0123,"disgust":0.0008,"fear":0.0211,"happy":0.8712,"neutral":0.0623,"sad":0.0121,"surprise":0.0201}},{"box":{"x":402,"y":88,"width":120,"height":121},"label":"sad","confidence":0.6,"scores":{"angry":0.05,"disgust":0.01,"fear":0.1,"happy":0.02,"neutral":0.2,"sad":0.6,"surprise":0.02}}]}',
  '{"schema":"emotion-stream/event","v":1,"type":"frame","cameraId":"cam1","seq":7,"ptsMs":233.567,"capturedAt":1747474200334,"capturedAtIso":"2025-05-17T09:30:00.334Z","emittedAt":1747474200251,"modelVersion":"fer2013-cnn@1.2.0","frameWidth":640,"frameHeight":480,"faces":[],"fault":{"stage":"classify-emotion","code":"ERR_CLASSIFY","message":"tensor shape [1,47,48,1] does not match [1,48,48,1]"}}',
  '{"schema":"emotion-stream/event","v":1,"type":"stream-end","cameraId":"cam1","frames":3,"reason":"error","endedAt":1747474205000,"error":{"code":"ERR_SOURCE_UNREADABLE","message":"moov atom not found"}}',
  '{"schema":"emotion-stream/event","v":1,"type":"camera-state","cameraId":"door","state":"reconnecting","previous":"live","attempt":3,"error":{"code":"ERR_SOURCE_STALLED","message":"no frame for 5000 ms"},"retryInMs":4180,"at":1747474200000}',
];

test('stream-start carries the source description with fps rounded to 3 decimals', () => {
  assert.equal(toWireEvents(streamStart('lobby')), [{
    schema: 'emotion-stream/event',
    v: 2,
    type: 'stream-start',
    cameraId: 'lobby',
    source: '/videos/lobby.mp4',
    width: 640,
    height: 480,
    fps: 29.97,
    startedAt: T0,
  }]);
});

test('a classifications message becomes a frame event with rounded numbers and timing', () => {
  const event = only(classifications(3)) as FrameEvent;
  assert.is(event.type, 'frame');
  assert.is(event.v, 2);
  assert.is(event.seq, 3);
  assert.is(event.ptsMs, 100.1);
  assert.is(event.capturedAt, T0 + 200);
  assert.is(event.capturedAtIso, '2025-05-17T09:30:00.200Z');
  assert.is(event.emittedAt, T0 + 251);
  assert.is(event.modelVersion, 'fer2013-cnn@1.2.0');
  assert.is(event.frameWidth, 640);
  assert.is(event.frameHeight, 480);
  assert.is(event.faces.length, 2);
  assert.equal(event.faces[0], {
    box: { x: 101, y: 88, width: 120, height: 121 },
    label: 'happy',
    confidence: 0.8712,
    scores: { angry: 0.0123, disgust: 0.0008, fear: 0.0211, happy: 0.8712, neutral: 0.0623, sad: 0.0121, surprise: 0.0201 },
  });
  assert.is(event.faces[1].label, 'sad');
  assert.is(event.faces[1].confidence, 0.6);
  assert.not.ok('fault' in event);
});

test('a tracked face carries its trackId and rounded stable emotion; label, confidence and scores stay raw', () => {
  const event = only(tracked(classifications(3))) as FrameEvent;
  assert.equal(event.faces[0], {
    trackId: 1,
    box: { x: 101, y: 88, width: 120, height: 121 },
    label: 'happy',
    confidence: 0.8712,
    scores: { angry: 0.0123, disgust: 0.0008, fear: 0.0211, happy: 0.8712, neutral: 0.0623, sad: 0.0121, surprise: 0.0201 },
    stable: {
      label: 'neutral',
      confidence: 0.5512,
      scores: { angry: 0.02, disgust: 0.0051, fear: 0.03, happy: 0.3012, neutral: 0.5512, sad: 0.0724, surprise: 0.02 },
    },
  });
  assert.equal([event.faces[1].trackId, event.faces[1].label, event.faces[1].stable?.label], [2, 'sad', 'happy']);
  assertValid(event);
});

test('scores keep the class order of EMOTIONS whatever order the classifier used', () => {
  const msg = classifications(0);
  const { happy, ...rest } = msg.faces[0].scores;
  msg.faces[0].scores = { happy, ...rest };
  const event = only(msg) as FrameEvent;
  assert.equal(Object.keys(event.faces[0].scores), ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']);
});

test('probabilities a hair outside 0..1 (float32 softmax) are clamped', () => {
  const msg = tracked(classifications(0));
  msg.faces[0].confidence = 1.0000001;
  msg.faces[0].scores.angry = -1e-9;
  msg.faces[0].stable!.confidence = 1.0000001;
  const event = only(msg) as FrameEvent;
  assert.is(event.faces[0].confidence, 1);
  assert.is(event.faces[0].scores.angry, 0);
  assert.is(event.faces[0].stable?.confidence, 1);
});

test('a faulted frame carries its fault and no faces', () => {
  const event = only(faultedClassifications(7)) as FrameEvent;
  assert.equal(event.faces, []);
  assert.equal(event.fault, { stage: 'classify-emotion', code: 'ERR_CLASSIFY', message: 'tensor shape [1,47,48,1] does not match [1,48,48,1]' });
});

test('a frame with track events gives the frame, then its track events in order, rounded', () => {
  const events = toWireEvents(trackedWithEvents(3), { now });
  assert.equal(events.map((e) => e.type), ['frame', 'track-start', 'emotion-change', 'track-end']);
  const head = { schema: 'emotion-stream/event', v: 2, cameraId: 'cam1' };
  assert.equal(events[1], { ...head, type: 'track-start', trackId: 1, ptsMs: 100.1, box: { x: 101, y: 88, width: 120, height: 121 } });
  assert.equal(events[2], { ...head, type: 'emotion-change', trackId: 2, ptsMs: 100.1, from: 'neutral', to: 'happy', confidence: 0.64 });
  assert.equal(events[3], {
    ...head, type: 'track-end', trackId: 3, startMs: 100.1, endMs: 1433.367, durationMs: 1333.267, frames: 40,
    share: { angry: 0, disgust: 0, fear: 0, happy: 0.25, neutral: 0.75, sad: 0, surprise: 0 }, dominant: 'neutral', meanConfidence: 0.6612,
  });
  for (const event of events) assertValid(event);
});

test('stream-end carries frames, reason and the error when there is one', () => {
  assert.equal(toWireEvents(streamEnd('cam1', 42)), [{
    schema: 'emotion-stream/event', v: 2, type: 'stream-end', cameraId: 'cam1', frames: 42, reason: 'eof', endedAt: T0 + 5000,
  }]);
  const failed = only(failedEnd());
  assert.equal(failed.type === 'stream-end' ? failed.error : undefined, { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' });
});

test('stream-end carries the source\'s integrity when capture measured it; v1 and v2 schemas accept it', () => {
  const integrity = { decodeErrors: 12, ptsGaps: 1, framesMissing: 35 };
  const event = only({ ...streamEnd('cam1', 165), integrity });
  assert.equal(event.type === 'stream-end' ? event.integrity : undefined, integrity);
  assertValid(event);
  assertValid(toWireV1(event));
  assert.is(JSON.stringify(toWireV1(event)), '{"schema":"emotion-stream/event","v":1,"type":"stream-end","cameraId":"cam1","frames":165,"reason":"eof","endedAt":1747474205000,"integrity":{"decodeErrors":12,"ptsGaps":1,"framesMissing":35}}');
  const invalid = validate(JSON.parse(JSON.stringify({ ...event, integrity: { decodeErrors: -1, ptsGaps: 0 } })));
  assert.not.ok(invalid.valid, 'counts are non-negative integers, all three present');
});

test('a stream that ends with open tracks gives their track-end events before its stream-end', () => {
  const events = toWireEvents(streamEndWithTracks('lobby', 9));
  assert.equal(events.map((e) => `${e.type}:${e.cameraId}:${'trackId' in e ? e.trackId : ''}`), ['track-end:lobby:1', 'track-end:lobby:2', 'stream-end:lobby:']);
  for (const event of events) assertValid(event);
});

test('raw frames and detections are not published', () => {
  const { meta } = classifications(1);
  assert.equal(toWireEvents({ kind: 'frame', v: 1, meta, timings: {} }), []);
  assert.equal(toWireEvents(detections(1)), []);
});

test('an unknown track event type throws instead of putting an unknown event on the wire', () => {
  const msg = tracked(classifications(1), [{ type: 'track-pause', trackId: 1 } as never]);
  assert.throws(() => toWireEvents(msg, { now }), /unknown track event type "track-pause"/);
});

test('toWireV1 gives, byte for byte, what v1 clients received before, even from tracked frames', () => {
  const v2 = [
    ...toWireEvents(streamStart('lobby')),
    ...toWireEvents(tracked(classifications(3)), { now }),
    ...toWireEvents(faultedClassifications(7), { now }),
    ...toWireEvents(failedEnd()),
    cameraStateEvent(stateChange),
  ];
  assert.equal(v2.map((event) => JSON.stringify(toWireV1(event))), V1_GOLDEN);
  for (const event of v2) assertValid(toWireV1(event));
  assert.ok(v2.every((event) => event.v === 2), 'the v2 events themselves are left as they were');
});

test('toWireV1 has no form for track events', () => {
  const events = [...toWireEvents(trackedWithEvents(3), { now }), ...toWireEvents(streamEndWithTracks())];
  assert.equal(events.map((e) => toWireV1(e) === undefined), [false, true, true, true, true, true, false]);
});

test('cameraStateEvent is version 2 and validates', () => {
  const event = cameraStateEvent(stateChange);
  assert.is(event.v, 2);
  assert.is(event.retryInMs, 4180);
  assertValid(event);
});

test('every event built from a realistic tracked stream validates against schema/events.v2.json', () => {
  const stream: PipelineMsg[] = [
    streamStart(),
    tracked(classifications(0)),
    trackedWithEvents(1),
    classifications(2, 'cam1', []),
    faultedClassifications(3),
    { ...streamEndWithTracks(), reason: 'error', error: { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' } },
  ];
  const events = stream.flatMap((msg) => toWireEvents(msg, { now }));
  assert.is(events.length, 11);
  for (const event of events) assertValid(event);
});

test.run();
