import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireEvent, type FrameEvent } from '../../../pipeline/events/wire-event.ts';
import type { PipelineMsg } from '../../../pipeline/messages.ts';
import { T0, classifications, detections, faultedClassifications, streamEnd, streamStart } from './sample-messages.ts';

const validate = createEventValidator();
const now = () => T0 + 250.6;

test('stream-start carries the source description with fps rounded to 3 decimals', () => {
  assert.equal(toWireEvent(streamStart('lobby')), {
    schema: 'emotion-stream/event',
    v: 1,
    type: 'stream-start',
    cameraId: 'lobby',
    source: '/videos/lobby.mp4',
    width: 640,
    height: 480,
    fps: 29.97,
    startedAt: T0,
  });
});

test('a classifications message becomes a frame event with rounded numbers and timing', () => {
  const event = toWireEvent(classifications(3), { now }) as FrameEvent;
  assert.is(event.type, 'frame');
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

test('scores keep the class order of EMOTIONS whatever order the classifier used', () => {
  const msg = classifications(0);
  const { happy, ...rest } = msg.faces[0].scores;
  msg.faces[0].scores = { happy, ...rest };
  const event = toWireEvent(msg, { now }) as FrameEvent;
  assert.equal(Object.keys(event.faces[0].scores), ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']);
});

test('probabilities a hair outside 0..1 (float32 softmax) are clamped', () => {
  const msg = classifications(0);
  msg.faces[0].confidence = 1.0000001;
  msg.faces[0].scores.angry = -1e-9;
  const event = toWireEvent(msg, { now }) as FrameEvent;
  assert.is(event.faces[0].confidence, 1);
  assert.is(event.faces[0].scores.angry, 0);
});

test('a faulted frame carries its fault and no faces', () => {
  const event = toWireEvent(faultedClassifications(7), { now }) as FrameEvent;
  assert.equal(event.faces, []);
  assert.equal(event.fault, { stage: 'classify-emotion', code: 'ERR_CLASSIFY', message: 'tensor shape [1,47,48,1] does not match [1,48,48,1]' });
});

test('stream-end carries frames, reason and the error when there is one', () => {
  assert.equal(toWireEvent(streamEnd('cam1', 42)), {
    schema: 'emotion-stream/event', v: 1, type: 'stream-end', cameraId: 'cam1', frames: 42, reason: 'eof', endedAt: T0 + 5000,
  });
  const failed = toWireEvent({ ...streamEnd(), reason: 'error', error: { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' } });
  assert.equal(failed && 'error' in failed ? failed.error : undefined, { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' });
});

test('raw frames and detections are not published', () => {
  const { meta } = classifications(1);
  assert.is(toWireEvent({ kind: 'frame', v: 1, meta, timings: {} }), undefined);
  assert.is(toWireEvent(detections(1)), undefined);
});

test('every event built from a realistic stream validates against schema/events.v1.json', () => {
  const stream: PipelineMsg[] = [
    streamStart(),
    classifications(0),
    classifications(1, 'cam1', []),
    faultedClassifications(2),
    { ...streamEnd(), reason: 'error', error: { code: 'ERR_SOURCE_UNREADABLE', message: 'moov atom not found' } },
  ];
  const events = stream.map((msg) => toWireEvent(msg, { now }));
  assert.is(events.length, 5);
  for (const event of events) {
    const result = validate(JSON.parse(JSON.stringify(event)));
    assert.ok(result.valid, `${event?.type}: ${result.valid ? '' : result.errors.join('; ')}`);
  }
});

test.run();
