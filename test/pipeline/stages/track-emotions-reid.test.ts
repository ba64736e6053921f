import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import cv, { type Mat } from '../../../pipeline/opencv.ts';
import { firstValueFrom, from, toArray } from 'rxjs';
import { trackEmotions } from '../../../pipeline/stages/track-emotions.ts';
import { trackingSchema, type TrackingConfig } from '../../../config/schema.ts';
import { InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import { loadFaceEmbedder, type FaceEmbedder } from '../../../pipeline/tracking/face-embedder.ts';
import { loadHaarCascadeDetector } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import type { BoxPx, ClassificationsMsg, PipelineMsg, TrackEvent } from '../../../pipeline/messages.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireEvents } from '../../../pipeline/events/wire-event.ts';

const W = 480;
const H = 360;
const SIDE = 140;
const FRAME_MS = 100;
const CONFIG: TrackingConfig = trackingSchema.parse({ reid: { enabled: true } });
const faceApiDemo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

let embedder: FaceEmbedder;
/** Face patches (SIDE x SIDE, BGR) of different people, cut from face-api's sample photos. */
const people: Mat[] = [];

test.before(async () => {
  embedder = await loadFaceEmbedder('faceres');
  const haar = await loadHaarCascadeDetector();
  for (const n of [1, 2]) {
    const photo = cv.imread(join(faceApiDemo, `sample${n}.jpg`));
    const boxes = await haar.detect({ pixels: photo.getData(), width: photo.cols, height: photo.rows });
    const b = boxes.reduce((best, x) => (x.width > best.width ? x : best));
    people.push(photo.getRegion(new cv.Rect(b.x, b.y, b.width, b.height)).resize(SIDE, SIDE));
  }
  haar.dispose?.();
});

test.after(() => embedder?.dispose?.());

/** A frame with `who`'s face at x (or no face), stored under its key; the message says where the face is. */
function frame(store: InMemoryFrameStore, seq: number, who: number | null, x = 60): ClassificationsMsg {
  const image = new cv.Mat(H, W, cv.CV_8UC3, [90, 90, 90]);
  const faces: BoxPx[] = [];
  if (who !== null) {
    people[who].copyTo(image.getRegion(new cv.Rect(x, 100, SIDE, SIDE)));
    faces.push({ x, y: 100, width: SIDE, height: SIDE });
  }
  const frameKey = `cam/${seq}`;
  store.put(frameKey, image.getData());
  const scores = { angry: 0.1, disgust: 0.1, fear: 0.1, happy: 0.4, neutral: 0.1, sad: 0.1, surprise: 0.1 };
  return {
    kind: 'classifications', v: 1, modelVersion: 'm@1', timings: {},
    meta: { cameraId: 'cam', seq, ptsMs: seq * FRAME_MS, capturedAt: 0, width: W, height: H, frameKey },
    faces: faces.map((boxPx) => ({ boxPx, label: 'happy', confidence: 0.4, scores })),
  };
}

/** Person 0 for 1 s, away 2 s (past maxMissedMs), back 1 s at another place, away 2 s, then person 1 for 1 s. */
function scene(store: InMemoryFrameStore): PipelineMsg[] {
  const plan: Array<[number | null, number, number]> = [[0, 10, 60], [null, 20, 0], [0, 10, 260], [null, 20, 0], [1, 10, 160]];
  const msgs: PipelineMsg[] = [{ kind: 'stream-start', v: 1, cameraId: 'cam', source: 'x', width: W, height: H, fps: 10, startedAt: 0 }];
  let seq = 0;
  for (const [who, frames, x] of plan) for (let k = 0; k < frames; k++) msgs.push(frame(store, seq++, who, x));
  msgs.push({ kind: 'stream-end', v: 1, cameraId: 'cam', frames: seq, reason: 'eof', endedAt: 1 });
  return msgs;
}

async function run(config: TrackingConfig, withEmbedder = true): Promise<PipelineMsg[]> {
  const store = new InMemoryFrameStore();
  const msgs = scene(store);
  return firstValueFrom(from(msgs).pipe(trackEmotions({ config, reid: withEmbedder ? { embedder, frameStore: store } : undefined }), toArray()));
}

const facesOf = (out: PipelineMsg[]) => out.flatMap((m) => (m.kind === 'classifications' ? m.faces : []));
const eventsOf = (out: PipelineMsg[]): TrackEvent[] => out.flatMap((m) => (m.kind === 'classifications' || m.kind === 'stream-end' ? m.trackEvents ?? [] : []));

test('a person who leaves and comes back keeps their person id on a new track; someone else is a new person', async () => {
  const out = await run(CONFIG);
  const faces = facesOf(out);
  assert.equal([...new Set(faces.map((f) => `${f.trackId}:${f.personId}`))], ['1:1', '2:1', '3:3'], 'track ids are new each time; person ids follow the person');
  const starts = eventsOf(out).filter((e): e is Extract<TrackEvent, { type: 'track-start' }> => e.type === 'track-start');
  assert.equal(starts.map((e) => [e.trackId, e.personId, e.reidentified?.fromTrackId]), [[1, 1, undefined], [2, 1, 1], [3, 3, undefined]]);
  assert.ok((starts[1].reidentified?.similarity ?? 0) >= CONFIG.reid.minSimilarity);
  const ends = eventsOf(out).filter((e) => e.type === 'track-end');
  assert.equal(ends.map((e) => [e.trackId, e.personId]), [[1, 1], [2, 1], [3, 3]]);
  // The wire events carry it, and they are valid v2 events.
  const validate = createEventValidator();
  const wire = out.flatMap((msg) => toWireEvents(msg));
  for (const event of wire) {
    const result = validate(event);
    assert.ok(result.valid, JSON.stringify(result));
  }
  assert.ok(wire.some((e) => e.type === 'track-start' && e.reidentified?.fromTrackId === 1));
});

test('past reid.windowMs the same person is a new person', async () => {
  const out = await run({ ...CONFIG, reid: { ...CONFIG.reid, windowMs: 500 } });
  assert.equal([...new Set(facesOf(out).map((f) => f.personId))], [1, 2, 3]);
});

test('reid off: no person ids at all (v2 events as before)', async () => {
  const out = await run(trackingSchema.parse({}), false);
  assert.ok(facesOf(out).every((f) => f.personId === undefined));
  assert.ok(eventsOf(out).every((e) => !('personId' in e)));
});

test('reid on without an embedder is a clear error, not a silent fallback', async () => {
  try {
    await run(CONFIG, false);
    assert.unreachable('must throw');
  } catch (err) {
    assert.match(String(err), /reid\.enabled needs a face embedder/);
  }
});

test('a frame whose pixels are gone still gets its tracks; its new person is looked at on a later frame', async () => {
  const store = new InMemoryFrameStore();
  const msgs = scene(store);
  // The first frame of the person's return (seq 30) has no pixels any more.
  store.delete('cam/30');
  const out = await firstValueFrom(from(msgs).pipe(trackEmotions({ config: CONFIG, reid: { embedder, frameStore: store } }), toArray()));
  const back = facesOf(out).filter((f) => f.trackId === 2);
  assert.is(back.length, 10, 'every frame of the return is tracked');
  assert.is(back[0].personId, 2, 'not looked at on its first frame: a new person');
});

test.run();
