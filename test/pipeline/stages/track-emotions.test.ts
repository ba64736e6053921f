import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, from, toArray } from 'rxjs';
import { trackEmotions } from '../../../pipeline/stages/track-emotions.ts';
import { trackingSchema, type TrackingConfig } from '../../../config/schema.ts';
import type { BoxPx, ClassificationsMsg, Emotion, EmotionScores, PipelineMsg, StreamEndMsg, TrackEvent } from '../../../pipeline/messages.ts';

const CONFIG: TrackingConfig = trackingSchema.parse({});
const FRAME_MS = 40;

function scores(label: Emotion, p = 0.6): EmotionScores {
  const rest = (1 - p) / 6;
  return { angry: rest, disgust: rest, fear: rest, happy: rest, neutral: rest, sad: rest, surprise: rest, [label]: p };
}

function box(x: number, y = 100, size = 80): BoxPx {
  return { x, y, width: size, height: size };
}

function frame(seq: number, faces: { box: BoxPx; label: Emotion; p?: number }[], cameraId = 'cam'): ClassificationsMsg {
  return {
    kind: 'classifications', v: 1, modelVersion: 'm@1', timings: {},
    meta: { cameraId, seq, ptsMs: seq * FRAME_MS, capturedAt: 0, width: 640, height: 480, frameKey: `${cameraId}/${seq}` },
    faces: faces.map((f) => ({ boxPx: f.box, label: f.label, confidence: f.p ?? 0.6, scores: scores(f.label, f.p) })),
  };
}

const start = (cameraId = 'cam'): PipelineMsg => ({ kind: 'stream-start', v: 1, cameraId, source: 'x', width: 640, height: 480, fps: 25, startedAt: 0 });
const end = (frames: number, cameraId = 'cam'): StreamEndMsg => ({ kind: 'stream-end', v: 1, cameraId, frames, reason: 'eof', endedAt: 1 });

async function run(msgs: PipelineMsg[], config: TrackingConfig = CONFIG, trackIds?: Parameters<typeof trackEmotions>[0]['trackIds']): Promise<PipelineMsg[]> {
  return firstValueFrom(from(msgs).pipe(trackEmotions({ config, trackIds }), toArray()));
}

const framesOf = (out: PipelineMsg[]) => out.filter((m): m is ClassificationsMsg => m.kind === 'classifications');
const eventsOf = (out: PipelineMsg[]): TrackEvent[] => out.flatMap((m) => (m.kind === 'classifications' || m.kind === 'stream-end' ? m.trackEvents ?? [] : []));

test('one steady face keeps one id; it starts on its first frame and ends with the stream, summarised', async () => {
  const msgs = [start(), ...Array.from({ length: 30 }, (_, i) => frame(i, [{ box: box(100 + i), label: 'happy' }])), end(30)];
  const out = await run(msgs);
  assert.is(out.length, msgs.length, 'one message out per message in');
  const faces = framesOf(out).map((m) => m.faces[0]);
  assert.ok(faces.every((f) => f.trackId === 1));
  assert.ok(faces.every((f) => f.stable?.label === 'happy'));
  const events = eventsOf(out);
  assert.equal(events.map((e) => e.type), ['track-start', 'track-end']);
  const ended = events[1] as Extract<TrackEvent, { type: 'track-end' }>;
  assert.equal([ended.trackId, ended.frames, ended.startMs, ended.endMs, ended.dominant], [1, 30, 0, 29 * FRAME_MS, 'happy']);
  assert.ok(Math.abs(ended.share.happy - 1) < 1e-9);
  assert.equal(framesOf(out)[0].trackEvents?.[0], { type: 'track-start', trackId: 1, atMs: 0, boxPx: box(100) });
  assert.ok((out.at(-1) as StreamEndMsg).trackEvents?.length === 1, 'the open track ends on the stream-end message');
});

test('the raw per-frame label and scores stay on each face beside the stable ones', async () => {
  const out = await run([frame(0, [{ box: box(100), label: 'sad', p: 0.7 }])]);
  const f = framesOf(out)[0].faces[0];
  assert.equal([f.label, f.confidence, f.scores.sad], ['sad', 0.7, 0.7]);
  assert.equal(f.stable?.label, 'sad');
});

test('a face unseen for longer than maxMissedMs ends its track on the frame that ends it; back later, it gets a new id', async () => {
  const config = { ...CONFIG, maxMissedMs: 200 };
  const both = (seq: number) => frame(seq, [{ box: box(50), label: 'happy' }, { box: box(400), label: 'sad' }]);
  const left = (seq: number) => frame(seq, [{ box: box(50), label: 'happy' }]);
  const msgs = [start(), both(0), both(1), left(2), left(3), left(4), left(5), left(6), left(7), both(8), end(9)];
  const out = await run(msgs, config);
  const ids = framesOf(out).map((m) => m.faces.map((f) => f.trackId));
  assert.equal(ids, [[1, 2], [1, 2], [1], [1], [1], [1], [1], [1], [1, 3]]);
  const endsOnFrame = framesOf(out).findIndex((m) => m.trackEvents?.some((e) => e.type === 'track-end' && e.trackId === 2));
  assert.is(endsOnFrame, 7, 'last seen at 40 ms, ended at 280 ms: the first frame more than 200 ms later');
  assert.equal(eventsOf(out).filter((e) => e.type === 'track-start').map((e) => e.trackId), [1, 2, 3]);
});

test('a raw label flickering every frame changes the stable label far less often, each change an emotion-change event', async () => {
  // A talking face: happy and neutral take turns leading by a little on every frame, happy slightly ahead overall.
  const msgs = [start(), ...Array.from({ length: 250 }, (_, i) => frame(i, [{ box: box(200), label: i % 2 ? 'neutral' : 'happy', p: i % 2 ? 0.45 : 0.5 }])), end(250)];
  const out = await run(msgs);
  const faces = framesOf(out).map((m) => m.faces[0]);
  const changes = (labels: (string | undefined)[]) => labels.slice(1).filter((l, i) => l !== labels[i]).length;
  const raw = changes(faces.map((f) => f.label));
  const stable = changes(faces.map((f) => f.stable?.label));
  assert.is(raw, 249);
  assert.ok(stable * 5 <= raw, `stable ${stable} vs raw ${raw}`);
  assert.is(eventsOf(out).filter((e) => e.type === 'emotion-change').length, stable);
});

test('a sustained new emotion becomes the stable label, announced once with from and to', async () => {
  const msgs = [start(), ...Array.from({ length: 60 }, (_, i) => frame(i, [{ box: box(200), label: i < 20 ? 'neutral' : 'surprise', p: 0.8 }]))];
  const out = await run(msgs);
  const changes = eventsOf(out).filter((e): e is Extract<TrackEvent, { type: 'emotion-change' }> => e.type === 'emotion-change');
  assert.is(changes.length, 1);
  assert.equal([changes[0].from, changes[0].to, changes[0].trackId], ['neutral', 'surprise', 1]);
  assert.ok(changes[0].atMs > 20 * FRAME_MS, 'after the new emotion began, not before');
});

test('a faulted frame passes untouched: no track ends on it, though it comes after maxMissedMs', async () => {
  const config = { ...CONFIG, maxMissedMs: 100 };
  const faulted: ClassificationsMsg = { ...frame(1, []), fault: { stage: 'detect-faces', code: 'ERR_DETECT', message: 'x' } };
  faulted.meta = { ...faulted.meta, ptsMs: 150 };
  const out = await run([start(), frame(0, [{ box: box(100), label: 'happy' }]), faulted, frame(5, [{ box: box(100), label: 'happy' }])], config);
  assert.is(out[2], faulted, 'the same message object: a failed detection is not evidence that a person left');
  assert.equal(framesOf(out).at(-1)?.trackEvents?.map((e) => e.type), ['track-end', 'track-start'], 'the next good frame ends the track');
});

test('cameras are tracked apart, and a new stream of a camera starts its tracks afresh', async () => {
  const out = await run([
    start('a'), start('b'),
    frame(0, [{ box: box(100), label: 'happy' }], 'a'), frame(0, [{ box: box(100), label: 'sad' }], 'b'),
    start('a'), frame(0, [{ box: box(100), label: 'happy' }], 'a'),
  ]);
  const ids = framesOf(out).map((m) => [m.meta.cameraId, m.faces[0].trackId]);
  assert.equal(ids, [['a', 1], ['b', 1], ['a', 1]]);
});

test('track ids come from the given source (a restarted sinks worker reserves fresh ones)', async () => {
  let next = 500;
  const out = await run([start(), frame(0, [{ box: box(50), label: 'happy' }, { box: box(400), label: 'sad' }])], CONFIG, () => ({ next: () => next++ }));
  assert.equal(framesOf(out)[0].faces.map((f) => f.trackId), [500, 501]);
});

test.run();
