import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunStats, latency } from '../../pipeline/run-stats.ts';
import { EMOTIONS, type ClassificationsMsg, type ClassifiedFace, type Emotion, type EmotionScores, type StreamStartMsg } from '../../pipeline/messages.ts';
import type { EmitEventsStats } from '../../pipeline/stages/emit-events.ts';

const noEvents: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
const start: StreamStartMsg = { kind: 'stream-start', v: 1, cameraId: 'door', source: '/videos/a.mp4', width: 640, height: 480, fps: 29.97, startedAt: 1 };

function face(label: Emotion): ClassifiedFace {
  const scores = Object.fromEntries(EMOTIONS.map((e) => [e, e === label ? 0.7 : 0.05])) as EmotionScores;
  return { boxPx: { x: 0, y: 0, width: 10, height: 10 }, label, confidence: 0.7, scores };
}

function frame(seq: number, faces: ClassifiedFace[], extra: Partial<ClassificationsMsg> = {}): ClassificationsMsg {
  const meta = { cameraId: 'door', seq, ptsMs: seq * 33, capturedAt: Date.now(), width: 640, height: 480, frameKey: `door:${seq}` };
  return { kind: 'classifications', v: 1, meta, faces, modelVersion: 'm', timings: { detect: 10 + seq, classify: 2 }, ...extra };
}

test('latency: nearest-rank percentiles, mean and max, rounded to 0.01; input untouched', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(latency(values), { mean: 50.5, p50: 50, p95: 95, max: 100 });
  assert.is(values[0], 100, 'the caller\'s array is not sorted in place');
  assert.equal(latency([3.14159]), { mean: 3.14, p50: 3.14, p95: 3.14, max: 3.14 });
  assert.equal(latency([1, 2]), { mean: 1.5, p50: 1, p95: 2, max: 2 });
  assert.equal(latency([]), { mean: 0, p50: 0, p95: 0, max: 0 });
});

test('a run with nothing seen reports zeros and nulls', () => {
  const s = new RunStats().summary(noEvents);
  assert.equal(
    [s.cameraId, s.source, s.width, s.frames, s.faces, s.faults, s.dropped, s.videoFrames, s.latencyMs, s.end, s.fps, s.labels, s.stageMs],
    [null, null, 0, 0, 0, 0, 0, null, null, null, 0, {}, {}],
  );
});

test('counts frames, faces, frames with faces, faults, drops, labels, events and per-stage times', () => {
  const stats = new RunStats();
  stats.start(start);
  stats.frame(frame(0, [face('happy'), face('sad')]));
  stats.frame(frame(1, []));
  stats.frame(frame(2, [face('happy')], { fault: { stage: 'annotate', code: 'ERR_ANNOTATE', message: 'x' } }));
  stats.dropped();
  stats.dropped();
  stats.videoFrames(3);
  stats.end({ kind: 'stream-end', v: 1, cameraId: 'door', frames: 5, reason: 'eof', endedAt: 2 });
  const s = stats.summary({ events: 5, conversionErrors: 0, sinkErrors: { websocket: 2 } });

  assert.equal([s.cameraId, s.source, s.width, s.height, s.sourceFps], ['door', '/videos/a.mp4', 640, 480, 29.97]);
  assert.equal([s.frames, s.faces, s.framesWithFaces, s.faults, s.dropped, s.videoFrames], [3, 3, 2, 1, 2, 3]);
  assert.equal(s.labels, { happy: 2, sad: 1 });
  assert.equal([s.events, s.sinkErrors], [5, { websocket: 2 }]);
  assert.equal(s.stageMs.detect, { mean: 11, p50: 11, p95: 12, max: 12 });
  assert.equal(s.stageMs.classify, { mean: 2, p50: 2, p95: 2, max: 2 });
  assert.is(s.stageMs.annotate, undefined, 'no stage time invented');
  assert.equal(s.end, { reason: 'eof' });
  assert.ok(s.wallSeconds >= 0 && s.fps > 0, `${s.wallSeconds}s, ${s.fps} fps`);
  assert.ok(JSON.parse(JSON.stringify(s)).frames === 3, 'the summary is plain JSON');
});

test('latency is measured from each frame\'s capture time', () => {
  const stats = new RunStats();
  stats.start(start);
  const old = frame(0, []);
  old.meta.capturedAt = Date.now() - 1500;
  stats.frame(old);
  const { latencyMs } = stats.summary(noEvents);
  assert.ok(latencyMs !== null && latencyMs.max >= 1500 && latencyMs.max < 3000, JSON.stringify(latencyMs));
});

test('a stream that ended in error reports the code and message', () => {
  const stats = new RunStats();
  const error = { code: 'ERR_SOURCE_UNREADABLE', message: 'partial file' };
  stats.end({ kind: 'stream-end', v: 1, cameraId: 'door', frames: 0, reason: 'error', error, endedAt: 2 });
  assert.equal(stats.summary(noEvents).end, { reason: 'error', error });
});

test('the summary carries the integrity of the source from its stream-end (null before it ends)', () => {
  const stats = new RunStats();
  stats.start(start);
  assert.is(stats.summary(noEvents).integrity, null);
  const integrity = { decodeErrors: 12, ptsGaps: 1, framesMissing: 35 };
  stats.end({ kind: 'stream-end', v: 1, cameraId: 'door', frames: 165, reason: 'eof', endedAt: 2, integrity });
  assert.equal(stats.summary(noEvents).integrity, integrity);
});

test('a checkpoint carries the counts, the stream and its people on to a restored RunStats (as JSON, across processes)', () => {
  const first = new RunStats();
  first.start(start);
  first.frame(frame(0, [face('happy')]));
  first.frame(frame(1, [face('sad'), face('sad')], { fault: { stage: 'classify-emotion', code: 'ERR_CLASSIFY', message: 'x' } }));
  first.dropped();
  const share = Object.fromEntries(EMOTIONS.map((e) => [e, e === 'happy' ? 1 : 0])) as EmotionScores;
  first.frame(frame(2, [], { trackEvents: [{ type: 'track-end', trackId: 1, startMs: 0, endMs: 66, durationMs: 66, frames: 2, share, dominant: 'happy', meanConfidence: 0.7 }] }));
  const restored = RunStats.restore(JSON.parse(JSON.stringify(first.checkpoint())));
  restored.frame(frame(3, [face('happy')]));
  const s = restored.summary(noEvents);
  assert.equal([s.cameraId, s.source, s.width, s.height, s.sourceFps], ['door', '/videos/a.mp4', 640, 480, 29.97]);
  assert.equal([s.frames, s.faces, s.framesWithFaces, s.faults, s.dropped], [4, 4, 3, 1, 1]);
  assert.equal(s.labels, { happy: 2, sad: 2 });
  assert.equal(s.people.map((p) => p.trackId), [1]);
  assert.equal(s.stageMs.detect?.max, 13, 'stage times: the frames measured here only');
});

test.run();
