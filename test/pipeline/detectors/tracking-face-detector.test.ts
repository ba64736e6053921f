import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadHaarCascadeDetector } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import { iou } from '../../../pipeline/detectors/box-iou.ts';
import { NEAR_SEARCH_SCORE, TrackingFaceDetector } from '../../../pipeline/detectors/tracking-face-detector.ts';
import { loadFaceDetector } from '../../../pipeline/detectors/load-face-detector.ts';
import type { RegionFaceDetector } from '../../../pipeline/detectors/face-detector.ts';
import type { BgrFrame } from '../../../pipeline/frames/bgr-image.ts';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { detectorSchema } from '../../../config/schema.ts';
import { tempDir } from '../../helpers/paths.ts';

const W = 640;
const H = 480;

/** The demo clip (six face-api sample photos, slowly panned) decoded to BGR frames: 8 frames per photo. */
async function clipFrames(): Promise<BgrFrame[]> {
  const { dir, cleanup } = tempDir('tracking-');
  const clip = await buildDemoClip({ outPath: join(dir, 'demo.mp4'), width: W, height: H, fps: 8, secondsPerPhoto: 1 });
  const raw = join(dir, 'frames.bgr');
  const r = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', raw]);
  assert.is(r.code, 0, r.stderr);
  const bytes = readFileSync(raw);
  cleanup();
  const size = W * H * 3;
  return Array.from({ length: bytes.length / size }, (_, i) => ({ pixels: bytes.subarray(i * size, (i + 1) * size), width: W, height: H }));
}

/** The real Haar detector, counting what it is asked to do (and, when told, holding whole-frame passes back). */
class CountingDetector implements RegionFaceDetector {
  readonly name = 'counting';
  wholeFrame = 0;
  near = 0;
  hold: Promise<void> | undefined;
  private readonly passes: Array<Promise<unknown>> = [];
  constructor(private readonly inner: RegionFaceDetector) {}
  detect(frame: BgrFrame): Promise<BoxPx[]> {
    this.wholeFrame += 1;
    const pass = (async () => {
      const boxes = await this.inner.detect(frame);
      await this.hold;
      return boxes;
    })();
    this.passes.push(pass.catch(() => undefined));
    return pass;
  }
  /** Every whole-frame pass so far has ended and its result has been taken in. */
  async settled(): Promise<void> {
    await Promise.all(this.passes);
    await new Promise((r) => setImmediate(r));
  }
  detectNear(frame: BgrFrame, near: BoxPx[], margin: number) {
    this.near += 1;
    return this.inner.detectNear(frame, near, margin);
  }
}

const blank: BgrFrame = { pixels: Buffer.alloc(W * H * 3, 128), width: W, height: H };
let frames: BgrFrame[] = [];
let haar: RegionFaceDetector;

test.before(async () => {
  frames = await clipFrames();
  haar = await loadHaarCascadeDetector();
});

test.after(() => haar?.dispose?.());

test('replay: whole-frame passes on every Nth frame and where a known face was lost near its track; the tracked boxes are the faces a search of every frame finds', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 4 });
  let reference = 0;
  let matched = 0;
  let found = 0;
  for (const [seq, frame] of frames.entries()) {
    const every = await haar.detect(frame);
    const tracked = await tracker.detect(frame, { stream: 'cam', seq });
    reference += every.length;
    found += tracked.length;
    matched += every.filter((box) => tracked.some((t) => iou(t, box) >= 0.5)).length;
    for (let i = 1; i < tracked.length; i++) assert.ok(tracked[i - 1].x <= tracked[i].x, 'sorted left to right');
  }
  assert.is(frames.length, 48);
  assert.is(counting.near, 36, 'every frame but seq 0, 4, 8, ... 44 looks near the known faces first');
  // The 12 scheduled passes, plus one on each in-between frame where a known face was not found near its track.
  assert.ok(counting.wholeFrame > 12 && counting.wholeFrame < 48, `whole-frame passes: ${counting.wholeFrame}`);
  assert.ok(reference > 100, `the clip has faces on every photo (${reference})`);
  // Haar flickers from frame to frame, so a face the search of every frame finds now and then is
  // missed when the pass frame missed it too (at 8 frames/s faces move 4x further per frame than at 30).
  assert.ok(matched / reference >= 0.8, `recall against searching every frame: ${matched}/${reference}`);
  assert.ok(matched / found >= 0.9, `precision against searching every frame: ${matched}/${found}`);
});

test('replay: the same boxes every time, and a stream that starts again (seq back to 0) gets a whole-frame pass at once', async () => {
  const run = async (tracker: TrackingFaceDetector, stream: string) => {
    const out: BoxPx[][] = [];
    for (const [seq, frame] of frames.slice(0, 12).entries()) out.push(await tracker.detect(frame, { stream, seq }));
    return out;
  };
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 5 });
  const first = await run(tracker, 'cam');
  const passes = counting.wholeFrame;
  assert.ok(passes >= 3, 'seq 0, 5 and 10 at least');
  const again = await run(tracker, 'cam');
  assert.is(counting.wholeFrame, 2 * passes, 'the restarted stream did the same again, from a whole-frame pass on seq 0');
  assert.equal(again, first);
});

test('streams are tracked apart: one camera\'s faces are never looked for in another\'s frames', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 10 });
  const a = await tracker.detect(frames[0], { stream: 'a', seq: 0 });
  assert.ok(a.length > 0);
  assert.equal(await tracker.detect(blank, { stream: 'b', seq: 0 }), []);
  // Camera b has no known faces: its next frame costs nothing, even with a's faces in its pixels.
  assert.equal(await tracker.detect(frames[1], { stream: 'b', seq: 1 }), []);
  const a1 = await tracker.detect(frames[1], { stream: 'a', seq: 1 });
  assert.is(a1.length, a.length, 'camera a still tracks its faces');
  assert.is(counting.wholeFrame, 2);
  assert.is(counting.near, 1);
});

test('a face that is gone is looked for until maxMissedMs has passed, then only the next whole-frame pass can bring it back', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 20, maxMissedMs: 100 });
  const at = (seq: number) => ({ stream: 'cam', seq, ptsMs: seq * 40 });
  assert.ok((await tracker.detect(frames[0], at(0))).length > 0);
  for (const seq of [1, 2]) assert.equal(await tracker.detect(blank, at(seq)), []);
  assert.is(counting.near, 2, 'looked for near where it was, 40 and 80 ms later');
  assert.equal(await tracker.detect(frames[0], at(3)), [], 'unseen for 120 ms > 100: forgotten, not looked for');
  assert.is(counting.near, 2);
  assert.ok((await tracker.detect(frames[0], at(20))).length > 0, 'the next pass finds it again');
});

test('faces of a whole-frame pass score 1, faces found only near a known one score lower', async () => {
  const tracker = new TrackingFaceDetector(haar, { fullEvery: 20 });
  const first = await tracker.detectScored(frames[0], { stream: 'cam', seq: 0, ptsMs: 0 });
  assert.ok(first.length > 0);
  assert.ok(first.every((f) => f.score === 1));
  const next = await tracker.detectScored(frames[1], { stream: 'cam', seq: 1, ptsMs: 125 });
  assert.ok(next.length > 0);
  assert.ok(next.every((f) => f.score === NEAR_SEARCH_SCORE && NEAR_SEARCH_SCORE < 1));
});

test('dropped frames: a block whose Nth frame never came gets its whole-frame pass on its first frame that does', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 5 });
  await tracker.detect(frames[0], { stream: 'cam', seq: 0 });
  await tracker.detect(frames[1], { stream: 'cam', seq: 3 });
  assert.is(counting.wholeFrame, 1);
  await tracker.detect(frames[2], { stream: 'cam', seq: 7 }); // 5 and 6 were dropped
  assert.is(counting.wholeFrame, 2);
  await tracker.detect(frames[3], { stream: 'cam', seq: 9 });
  assert.is(counting.wholeFrame, 2);
});

test('replay: frames detected alongside a whole-frame pass wait for its faces (the start of a stream is not lost)', async () => {
  const counting = new CountingDetector(haar);
  let release!: () => void;
  counting.hold = new Promise<void>((resolve) => { release = resolve; });
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 8 });
  // detector.concurrency 2: frame 1 is detected while frame 0's pass is still running.
  const first = tracker.detect(frames[0], { stream: 'cam', seq: 0, ptsMs: 0 });
  let secondDone = false;
  const second = tracker.detect(frames[1], { stream: 'cam', seq: 1, ptsMs: 125 }).finally(() => { secondDone = true; });
  await new Promise((r) => setImmediate(r));
  assert.not.ok(secondDone, 'frame 1 waits for frame 0\'s pass');
  release();
  const [boxes0, boxes1] = await Promise.all([first, second]);
  assert.ok(boxes0.length > 0, 'the pass found the faces of frame 0');
  const every = await haar.detect(frames[1]);
  assert.ok(every.length > 0);
  assert.ok(every.every((box) => boxes1.some((b) => iou(b, box) >= 0.5)), `frame 1: ${JSON.stringify(boxes1)} vs ${JSON.stringify(every)}`);
  assert.is(counting.wholeFrame, 1, 'frame 1 was tracked, not searched whole');
});

test('live: no frame waits for a whole-frame pass; its faces join the tracks when it ends', async () => {
  const counting = new CountingDetector(haar);
  let release!: () => void;
  counting.hold = new Promise<void>((resolve) => { release = resolve; });
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 4 });
  // The pass is held back, yet frames keep coming out (with no faces known yet).
  for (const seq of [0, 1, 2, 3, 4, 5]) assert.equal(await tracker.detect(frames[seq], { stream: 'cam', seq, live: true }), []);
  assert.is(counting.wholeFrame, 1, 'one pass at a time per stream: seq 4 did not start a second');
  release();
  await counting.settled();
  // Frame 1 again (the clip pans: a box found on frame 0 is searched near where it was).
  const boxes = await tracker.detect(frames[1], { stream: 'cam', seq: 6, live: true });
  assert.ok(boxes.length > 0, 'the pass\'s faces are now tracked');
  const every = await haar.detect(frames[1]);
  assert.ok(every.every((box) => boxes.some((b) => iou(b, box) >= 0.5)), `${JSON.stringify(boxes)} vs ${JSON.stringify(every)}`);
  assert.is(counting.wholeFrame, 2, 'seq 6 is in the block whose pass (seq 4) was skipped: it started one');
});

test('live: the background pass searches its own copy of the pixels (the frame store may reuse them at once)', async () => {
  const counting = new CountingDetector(haar);
  let release!: () => void;
  counting.hold = new Promise<void>((resolve) => { release = resolve; });
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 10 });
  const pixels = Buffer.from(frames[0].pixels);
  await tracker.detect({ pixels, width: W, height: H }, { stream: 'cam', seq: 0, live: true });
  pixels.fill(0); // the frame moved on and its buffer was overwritten
  release();
  await counting.settled();
  assert.ok((await tracker.detect(frames[1], { stream: 'cam', seq: 1, live: true })).length > 0);
});

/** `frame` moved `dx` px to the right (the left edge repeats its first column). */
function shiftedRight(frame: BgrFrame, dx: number): BgrFrame {
  const pixels = Buffer.alloc(frame.pixels.length);
  for (let y = 0; y < H; y++) {
    const row = y * W * 3;
    frame.pixels.copy(pixels, row + dx * 3, row, row + (W - dx) * 3);
    for (let x = 0; x < dx; x++) frame.pixels.copy(pixels, row + x * 3, row, row + 3);
  }
  return { pixels, width: W, height: H };
}

test('live: a face found by a pass that ended late is looked for in a wider window (it has moved since the frame searched)', async () => {
  const counting = new CountingDetector(haar);
  let release!: () => void;
  counting.hold = new Promise<void>((resolve) => { release = resolve; });
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 10 });
  const found = await haar.detect(frames[0]);
  assert.ok(found.length > 0);
  // Moved by 70% of the smallest face's side: beyond the usual window (0.35 sides), inside a wide one.
  const dx = Math.round(0.7 * Math.min(...found.map((b) => b.width)));
  const moved = shiftedRight(frames[0], dx);
  const expected = (await haar.detect(moved)).filter((box) => found.some((b) => iou({ ...b, x: b.x + dx }, box) >= 0.5));
  assert.ok(expected.length > 0, 'the moved faces are found on the moved frame');
  assert.equal(await tracker.detect(frames[0], { stream: 'cam', seq: 0, ptsMs: 0, live: true }), []);
  release();
  await counting.settled();
  // Half a second later (five frames at 10 fps), the first frame after the pass ended.
  const boxes = await tracker.detect(moved, { stream: 'cam', seq: 5, ptsMs: 500, live: true });
  assert.is(counting.wholeFrame, 1, 'no second pass: the faces come from the search near the tracks');
  assert.ok(expected.every((box) => boxes.some((b) => iou(b, box) >= 0.5)), `${JSON.stringify(boxes)} vs ${JSON.stringify(expected)}`);
});

test('a failing background pass is reported and the next block tries again', async () => {
  const errors: unknown[] = [];
  let fail = true;
  const flaky = new CountingDetector({
    name: 'flaky',
    detect: async (frame) => { if (fail) throw new Error('cascade exploded'); return haar.detect(frame); },
    detectNear: (frame, near, margin) => haar.detectNear(frame, near, margin),
  });
  const tracker = new TrackingFaceDetector(flaky, { fullEvery: 2, onBackgroundError: (err) => errors.push(err) });
  assert.equal(await tracker.detect(frames[0], { stream: 'cam', seq: 0, live: true }), []);
  await flaky.settled();
  assert.is(errors.length, 1);
  assert.match(String(errors[0]), /cascade exploded/);
  fail = false;
  await tracker.detect(frames[2], { stream: 'cam', seq: 2, live: true });
  await flaky.settled();
  assert.is(flaky.wholeFrame, 2);
  assert.ok((await tracker.detect(frames[3], { stream: 'cam', seq: 3, live: true })).length > 0);
});

test('without a context (a lone image) every call searches the whole frame', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 10 });
  assert.equal(await tracker.detect(frames[0]), await haar.detect(frames[0]));
  await tracker.detect(frames[1]);
  assert.is(counting.wholeFrame, 2);
  assert.is(counting.near, 0);
});

test('streams beyond maxStreams: the least recently seen is forgotten and starts over with a whole-frame pass', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 10, maxStreams: 2 });
  await tracker.detect(frames[0], { stream: 'a', seq: 0 });
  await tracker.detect(frames[0], { stream: 'b', seq: 0 });
  await tracker.detect(frames[1], { stream: 'a', seq: 1 });
  await tracker.detect(frames[0], { stream: 'c', seq: 0 }); // b is forgotten
  assert.is(counting.wholeFrame, 3);
  await tracker.detect(frames[1], { stream: 'b', seq: 1 });
  assert.is(counting.wholeFrame, 4);
});

test('live and replayed frames each follow their own setting; 1 means every frame is searched whole', async () => {
  const counting = new CountingDetector(haar);
  const tracker = new TrackingFaceDetector(counting, { fullEvery: 1, liveFullEvery: 4 });
  for (const seq of [0, 1, 2, 3]) await tracker.detect(frames[seq], { stream: 'file', seq });
  assert.equal([counting.wholeFrame, counting.near], [4, 0], 'replay: every frame whole');
  for (const seq of [0, 1, 2, 3]) await tracker.detect(frames[seq], { stream: 'cam', seq, live: true });
  await counting.settled();
  assert.is(counting.wholeFrame, 5, 'live: one background pass for four frames');
});

test('config: the plain Haar detector when both settings are 1, tracking otherwise (replays and live cameras track by default); 0 is rejected', async () => {
  const plain = await loadFaceDetector(detectorSchema.parse({ fullDetectEvery: 1, liveFullDetectEvery: 1 }));
  assert.is(plain.name, 'haar-cascade');
  const byDefault = await loadFaceDetector(detectorSchema.parse({}));
  assert.is(byDefault.name, 'haar-cascade+tracking');
  assert.equal([detectorSchema.parse({}).fullDetectEvery, detectorSchema.parse({}).liveFullDetectEvery], [10, 10]);
  assert.throws(() => detectorSchema.parse({ fullDetectEvery: 0 }));
  assert.throws(() => detectorSchema.parse({ liveFullDetectEvery: 0 }));
  plain.dispose?.();
  byDefault.dispose?.();
});

test.run();
