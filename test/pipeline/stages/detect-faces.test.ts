import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { from, lastValueFrom, Subject, toArray, type OperatorFunction } from 'rxjs';
import cv from '../../../pipeline/opencv.ts';
import type { FaceDetector } from '../../../pipeline/detectors/face-detector.ts';
import { loadHaarCascadeDetector } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import type { DetectionsMsg, FrameMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';
import { detectFaces } from '../../../pipeline/stages/detect-faces.ts';
import { faceApiSamplePhoto } from '../../helpers/paths.ts';

const CAMERA = 'cam1';

/** Runs `input` through a stage and collects everything it emits. */
function run(input: PipelineMsg[], stage: OperatorFunction<PipelineMsg, PipelineMsg>): Promise<PipelineMsg[]> {
  return lastValueFrom(from(input).pipe(stage, toArray()));
}

/** sample3.jpg as BGR24, optionally resized (width x height). */
function photoPixels(size?: { width: number; height: number }): { pixels: Buffer; width: number; height: number } {
  let image = cv.imread(faceApiSamplePhoto(3));
  if (size) image = image.resize(size.height, size.width, 0, 0, cv.INTER_AREA);
  return { pixels: image.getData(), width: image.cols, height: image.rows };
}

function frameMsg(seq: number, size: { width: number; height: number }): FrameMsg {
  const meta = { cameraId: CAMERA, seq, ptsMs: seq * 40, capturedAt: 1_700_000_000_000 + seq * 40, ...size, frameKey: frameKey(CAMERA, seq) };
  return { kind: 'frame', v: 1, meta, timings: {} };
}

// Loading checks the cascade in a child process (~0.3 s): load it once for all tests.
const haar = await loadHaarCascadeDetector();

const start: StreamStartMsg = { kind: 'stream-start', v: 1, cameraId: CAMERA, source: 'test', width: 1920, height: 1350, fps: 25, startedAt: 1 };
const end = (frames: number): StreamEndMsg => ({ kind: 'stream-end', v: 1, cameraId: CAMERA, frames, reason: 'eof', endedAt: 2 });

/** The real Haar detector, recording the order in which frames finish. */
function recording(detector: FaceDetector): FaceDetector & { finished: number[] } {
  const finished: number[] = [];
  return {
    name: detector.name,
    finished,
    detect: async (frame) => {
      const boxes = await detector.detect(frame);
      finished.push(frame.width);
      return boxes;
    },
  };
}

/**
 * `recording`, but frame 0's boxes are held back until frame 1's are found, so the two finish out
 * of order by construction rather than because the big frame happens to be slower. Frame 0 waits
 * only when frame 1's detection has started by the time its own is done (it starts in the same
 * tick when two run at once): a stage running one at a time then fails the order check, not hangs.
 */
function firstHeldForSecond(detector: FaceDetector): FaceDetector & { finished: number[]; started: number[] } {
  const finished: number[] = [];
  const started: number[] = [];
  let secondDone!: () => void;
  const second = new Promise<void>((resolve) => { secondDone = resolve; });
  return {
    name: detector.name,
    finished,
    started,
    detect: async (frame, context) => {
      started.push(context!.seq);
      const boxes = await detector.detect(frame);
      if (context!.seq === 0 && started.includes(1)) await second;
      finished.push(frame.width);
      if (context!.seq === 1) secondDone();
      return boxes;
    },
  };
}

test('concurrency 2: two frames detected at once finish out of order but are emitted in order', async () => {
  const store = new InMemoryFrameStore();
  const big = photoPixels();
  const small = photoPixels({ width: 480, height: 338 });
  store.put(frameKey(CAMERA, 0), big.pixels);
  store.put(frameKey(CAMERA, 1), small.pixels);
  const detector = firstHeldForSecond(haar);
  const input: PipelineMsg[] = [start, frameMsg(0, big), frameMsg(1, small), frameMsg(2, small), end(3)];
  const output = await run(input, detectFaces({ detector, frameStore: store, concurrency: 2 }));

  assert.equal(detector.finished, [480, 1920], 'frame 1 started while frame 0 was in hand and finished first');
  assert.equal(output.map((m) => m.kind), ['stream-start', 'detections', 'detections', 'detections', 'stream-end']);
  assert.is(output[0], start);
  assert.is(output[4], input[4]);
  const [d0, d1, d2] = output.slice(1, 4) as DetectionsMsg[];
  assert.equal([d0.meta.seq, d1.meta.seq, d2.meta.seq], [0, 1, 2]);
  assert.equal(d0.meta, input[1].kind === 'frame' ? input[1].meta : undefined);
  assert.is(d0.faces.length, 3);
  assert.ok(d0.faces.every((f) => f.boxPx.x + f.boxPx.width <= 1920 && f.boxPx.y + f.boxPx.height <= 1350));
  // Each message keeps its own timing: frame 0's detection began first and ended last, so it spans frame 1's.
  assert.ok(d0.timings.detect! >= d1.timings.detect!, `${d0.timings.detect} vs ${d1.timings.detect}`);
  assert.is(d0.fault, undefined);
  assert.is(d2.fault?.code, 'ERR_FRAME_MISSING');
  assert.is(d2.fault?.stage, 'detect-faces');
  assert.equal(d2.faces, []);
});

test('the detector is told each frame\'s camera, seq and whether it is live (what a tracking detector keys on)', async () => {
  const store = new InMemoryFrameStore();
  const small = photoPixels({ width: 480, height: 338 });
  const contexts: unknown[] = [];
  const detector: FaceDetector = { name: 'haar', detect: (frame, context) => { contexts.push(context); return haar.detect(frame); } };
  const live = { ...frameMsg(1, small), meta: { ...frameMsg(1, small).meta, live: true as const } };
  for (const m of [frameMsg(0, small), live]) store.put(m.meta.frameKey, small.pixels);
  const output = await run([frameMsg(0, small), live], detectFaces({ detector, frameStore: store }));
  assert.equal(contexts, [{ stream: CAMERA, seq: 0, live: false, ptsMs: 0 }, { stream: CAMERA, seq: 1, live: true, ptsMs: 40 }]);
  assert.ok((output[1] as DetectionsMsg).faces.length > 0);
});

test('a missing frame key and a frame whose size does not match its pixels become faults, not errors', async () => {
  const store = new InMemoryFrameStore();
  const small = photoPixels({ width: 320, height: 225 });
  store.put(frameKey(CAMERA, 1), small.pixels);
  const detector = haar;
  const input: PipelineMsg[] = [frameMsg(0, small), frameMsg(1, { width: 640, height: 450 })];
  const output = (await run(input, detectFaces({ detector, frameStore: store }))) as DetectionsMsg[];
  assert.equal(output.map((m) => [m.kind, m.fault?.code, m.faces.length]), [
    ['detections', 'ERR_FRAME_MISSING', 0],
    ['detections', 'ERR_FRAME_SHAPE', 0],
  ]);
  assert.ok(output[0].fault!.message.includes(frameKey(CAMERA, 0)));
  assert.type(output[1].timings.detect, 'number');
});

test('a frame that already carries a fault is not detected and keeps its fault; other kinds pass through', async () => {
  const store = new InMemoryFrameStore();
  const detector = recording(haar);
  const faulted: FrameMsg = { ...frameMsg(0, { width: 4, height: 4 }), fault: { stage: 'capture', code: 'ERR_SOURCE_UNREADABLE', message: 'bad packet' } };
  const already: DetectionsMsg = { kind: 'detections', v: 1, meta: faulted.meta, faces: [], timings: { detect: 3 } };
  const output = await run([faulted, already], detectFaces({ detector, frameStore: store }));
  assert.equal(detector.finished, []);
  assert.equal(output[0], { kind: 'detections', v: 1, meta: faulted.meta, faces: [], timings: {}, fault: faulted.fault });
  assert.is(output[1], already);
});

test('empty input completes empty; unsubscribing while a detection runs emits nothing afterwards', async () => {
  const store = new InMemoryFrameStore();
  const detector = haar;
  assert.equal(await run([], detectFaces({ detector, frameStore: store })), []);

  const big = photoPixels();
  store.put(frameKey(CAMERA, 0), big.pixels);
  const source = new Subject<PipelineMsg>();
  const seen: PipelineMsg[] = [];
  const subscription = source.pipe(detectFaces({ detector, frameStore: store })).subscribe((m) => seen.push(m));
  source.next(frameMsg(0, big));
  subscription.unsubscribe();
  await detector.detect(big); // let the abandoned detection finish too
  assert.equal(seen, []);
});

test.run();
