import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMPTY, Subject, from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { classifyEmotion } from '../../../pipeline/stages/classify-emotion.ts';
import { TfjsEmotionClassifier } from '../../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import type { EmotionClassifier } from '../../../pipeline/classifiers/emotion-classifier.ts';
import { cropFaces } from '../../../pipeline/classifiers/face-crops.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import {
  EMOTIONS,
  type BoxPx,
  type ClassificationsMsg,
  type DetectionsMsg,
  type EmotionScores,
  type PipelineMsg,
  type StreamEndMsg,
  type StreamStartMsg,
} from '../../../pipeline/messages.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import { sample3WithFaces } from '../../helpers/sample-faces.ts';

const CAMERA = 'cam1';
await initBackend('wasm');
const model = await TfjsEmotionClassifier.load(resolveModelDir(shippedModelFamily()));
test.after(() => model.dispose());

const { photo, faces: FACES } = sample3WithFaces();

/** The real model behind a thin EmotionClassifier that records the face count of every predict call. */
function counting(inner: EmotionClassifier, failOnCall?: number): EmotionClassifier & { calls: number[] } {
  const calls: number[] = [];
  return {
    version: inner.version,
    inputSize: inner.inputSize,
    calls,
    classify(crops, count) {
      calls.push(count);
      if (calls.length === failOnCall) throw new Error('predict failed');
      return inner.classify(crops, count);
    },
    dispose: () => undefined,
  };
}

/** A frame store holding the photo under the keys of `seqs`. */
function storeWith(...seqs: number[]): InMemoryFrameStore {
  const store = new InMemoryFrameStore();
  for (const seq of seqs) store.put(frameKey(CAMERA, seq), photo.pixels);
  return store;
}

function detections(seq: number, boxes: BoxPx[]): DetectionsMsg {
  const meta = { cameraId: CAMERA, seq, ptsMs: seq * 40, capturedAt: 1_700_000_000_000, width: photo.width, height: photo.height, frameKey: frameKey(CAMERA, seq) };
  return { kind: 'detections', v: 1, meta, faces: boxes.map((boxPx) => ({ boxPx })), timings: { detect: 5 } };
}

const start: StreamStartMsg = { kind: 'stream-start', v: 1, cameraId: CAMERA, source: 'test', width: photo.width, height: photo.height, fps: 25, startedAt: 1 };
const end: StreamEndMsg = { kind: 'stream-end', v: 1, cameraId: CAMERA, frames: 3, reason: 'eof', endedAt: 2 };

function collect(source: Observable<PipelineMsg>): Promise<PipelineMsg[]> {
  return lastValueFrom(source.pipe(toArray()));
}

/** What the model says about one face on its own (the reference the batched result must match). */
function alone(box: BoxPx): EmotionScores {
  return model.classify(cropFaces(photo, [box], model.inputSize), 1)[0];
}

function assertScoresClose(actual: EmotionScores, expected: EmotionScores, what: string): void {
  for (const e of EMOTIONS) assert.ok(Math.abs(actual[e] - expected[e]) < 1e-4, `${what} ${e}: ${actual[e]} vs ${expected[e]}`);
}

function assertConsistent(face: ClassificationsMsg['faces'][number]): void {
  const best = EMOTIONS.reduce((a, b) => (face.scores[b] > face.scores[a] ? b : a));
  assert.is(face.label, best, 'label is the argmax of the scores');
  assert.is(face.confidence, face.scores[face.label], 'confidence is the score of the label');
  const sum = EMOTIONS.reduce((n, e) => n + face.scores[e], 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `scores sum to ${sum}`);
}

test('frames arriving together share ONE predict; faces keep order and boxes; label = argmax, confidence = scores[label]', async () => {
  const classifier = counting(model);
  const input: PipelineMsg[] = [start, detections(0, FACES), detections(1, [FACES[2], FACES[0]]), detections(2, []), end];
  const out = await collect(from(input).pipe(classifyEmotion({ classifier, frameStore: storeWith(0, 1, 2) })));

  assert.equal(classifier.calls, [5], 'one predict call for the 5 faces of the batch');
  assert.equal(out.map((m) => m.kind), ['stream-start', 'classifications', 'classifications', 'classifications', 'stream-end']);
  assert.is(out[0], start, 'control messages pass through as the same object');
  assert.is(out[4], end);
  const [c0, c1, c2] = out.slice(1, 4) as ClassificationsMsg[];
  assert.equal([c0.meta.seq, c1.meta.seq, c2.meta.seq], [0, 1, 2]);
  assert.is(c0.meta, (input[1] as DetectionsMsg).meta);
  assert.equal(c0.faces.map((f) => f.boxPx), FACES);
  assert.equal(c1.faces.map((f) => f.boxPx), [FACES[2], FACES[0]]);
  assert.equal(c2.faces, []);
  for (const c of [c0, c1, c2]) {
    assert.is(c.modelVersion, model.version);
    assert.is(c.fault, undefined);
    assert.is(c.timings.detect, 5, 'earlier timings are kept');
    assert.type(c.timings.classify, 'number');
  }
  c0.faces.forEach((f, i) => assertScoresClose(f.scores, alone(FACES[i]), `frame 0 face ${i}`));
  assertScoresClose(c1.faces[0].scores, alone(FACES[2]), 'frame 1 face 0');
  assertScoresClose(c1.faces[1].scores, alone(FACES[0]), 'frame 1 face 1');
  for (const f of [...c0.faces, ...c1.faces]) assertConsistent(f);
  // The three faces are different people: a model that ignored its input would score them alike.
  const spread = Math.max(...EMOTIONS.map((e) => Math.abs(c0.faces[0].scores[e] - c0.faces[1].scores[e])));
  assert.ok(spread > 1e-3, `faces 0 and 1 score differently (max diff ${spread})`);
});

test('maxBatchFaces caps the faces of one predict call; results do not change', async () => {
  const classifier = counting(model);
  const out = (await collect(from([detections(0, FACES), detections(1, FACES.slice(0, 2))]).pipe(
    classifyEmotion({ classifier, frameStore: storeWith(0, 1), maxBatchFaces: 2 }),
  ))) as ClassificationsMsg[];
  assert.equal(classifier.calls, [2, 2, 1]);
  out[0].faces.forEach((f, i) => assertScoresClose(f.scores, alone(FACES[i]), `frame 0 face ${i}`));
  out[1].faces.forEach((f, i) => assertScoresClose(f.scores, alone(FACES[i]), `frame 1 face ${i}`));
});

test('frames arriving in different turns of the event loop get separate predicts, in order', async () => {
  const classifier = counting(model);
  const input = new Subject<PipelineMsg>();
  const done = collect(input.pipe(classifyEmotion({ classifier, frameStore: storeWith(0, 1) })));
  input.next(detections(0, FACES));
  await new Promise((resolve) => setImmediate(resolve));
  input.next(detections(1, [FACES[1]]));
  input.complete();
  const out = (await done) as ClassificationsMsg[];
  assert.equal(classifier.calls, [3, 1]);
  assert.equal(out.map((m) => m.meta.seq), [0, 1]);
});

test('missing pixels or a box outside the frame fault that frame only; the others are classified', async () => {
  const classifier = counting(model);
  const faulted: DetectionsMsg = { ...detections(3, FACES), faces: [], fault: { stage: 'detect-faces', code: 'ERR_DETECT', message: 'x' } };
  const outside = detections(4, [{ x: 5000, y: 10, width: 50, height: 50 }]);
  const input: PipelineMsg[] = [detections(0, FACES), detections(1, FACES), detections(2, [FACES[1]]), faulted, outside, end];
  const out = await collect(from(input).pipe(classifyEmotion({ classifier, frameStore: storeWith(0, 2, 4) })));

  assert.is(out.length, 6, 'the stream goes on to its end');
  const [c0, c1, c2, c3, c4] = out as ClassificationsMsg[];
  assert.equal([c1.fault?.stage, c1.fault?.code, c1.faces], ['classify-emotion', 'ERR_FRAME_MISSING', []]);
  assert.match(c1.fault!.message, frameKey(CAMERA, 1));
  assert.equal(c3.fault, faulted.fault, 'an upstream fault rides on unchanged');
  assert.equal([c4.fault?.code, c4.faces], ['ERR_CLASSIFY', []]);
  assert.equal([c0.faces.length, c0.fault, c2.faces.length, c2.fault], [3, undefined, 1, undefined]);
  assert.equal(classifier.calls, [4], 'only the good frames reach the model');
  c0.faces.forEach((f, i) => assertScoresClose(f.scores, alone(FACES[i]), `frame 0 face ${i}`));
  assertScoresClose(c2.faces[0].scores, alone(FACES[1]), 'frame 2 face 0');
  assert.is(out[5], end);
});

test('a failing predict faults the frames of its batch only; the next batch is classified', async () => {
  const classifier = counting(model, 1);
  const input = new Subject<PipelineMsg>();
  const done = collect(input.pipe(classifyEmotion({ classifier, frameStore: storeWith(0, 1, 2) })));
  input.next(detections(0, FACES));
  input.next(detections(1, [FACES[0]]));
  await new Promise((resolve) => setImmediate(resolve));
  input.next(detections(2, [FACES[2]]));
  input.complete();
  const [c0, c1, c2] = (await done) as ClassificationsMsg[];
  assert.equal([c0.fault?.code, c0.fault?.message, c1.fault?.code, c0.faces, c1.faces], ['ERR_CLASSIFY', 'predict failed', 'ERR_CLASSIFY', [], []]);
  assert.is(c2.fault, undefined);
  assertScoresClose(c2.faces[0].scores, alone(FACES[2]), 'frame 2');
  assert.equal(classifier.calls, [4, 1]);
});

test('a classifier returning the wrong number of score vectors faults the batch instead of breaking the stream', async () => {
  const short: EmotionClassifier = { version: 'short', inputSize: model.inputSize, classify: (crops, count) => model.classify(crops, count).slice(1), dispose: () => undefined };
  const out = (await collect(from([detections(0, FACES), end]).pipe(classifyEmotion({ classifier: short, frameStore: storeWith(0) })))) as ClassificationsMsg[];
  assert.is(out.length, 2);
  assert.equal([out[0].fault?.code, out[0].faces], ['ERR_CLASSIFY', []]);
});

test('empty input completes without a predict call', async () => {
  const classifier = counting(model);
  assert.equal(await collect(EMPTY.pipe(classifyEmotion({ classifier, frameStore: new InMemoryFrameStore() }))), []);
  assert.equal(classifier.calls, []);
});

test('unsubscribing before the batch is flushed runs no predict', async () => {
  const classifier = counting(model);
  const input = new Subject<PipelineMsg>();
  const seen: PipelineMsg[] = [];
  const sub = input.pipe(classifyEmotion({ classifier, frameStore: storeWith(0) })).subscribe((m) => seen.push(m));
  input.next(detections(0, FACES));
  sub.unsubscribe();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal([seen, classifier.calls, input.observed], [[], [], false]);
});

test.run();
