import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { iou } from '../../../pipeline/detectors/box-iou.ts';
import { FaceTracker, countingIds, type TrackerOptions } from '../../../pipeline/tracking/face-tracker.ts';

const OPTIONS: TrackerOptions = { maxMissedMs: 500, matchIou: 0.3, highScore: 0.5 };

function box(x: number, y: number, size = 60): BoxPx {
  return { x, y, width: size, height: size };
}

/** Presentation time of frame k at fps (ms). */
function at(k: number, fps: number): number {
  return (k * 1000) / fps;
}

/**
 * Naive baseline: each face takes the track whose last seen box overlaps it most (greedy,
 * IoU descending), no motion model. Returns each face's track index.
 */
function naiveMatch(faces: BoxPx[], lastBoxes: BoxPx[]): number[] {
  const pairs = faces.flatMap((f, i) => lastBoxes.map((b, t) => ({ i, t, v: iou(f, b) })));
  pairs.sort((p, q) => q.v - p.v);
  const out = faces.map(() => -1);
  const used = new Set<number>();
  for (const { i, t } of pairs) {
    if (out[i] !== -1 || used.has(t)) continue;
    out[i] = t;
    used.add(t);
  }
  return out;
}

test('one face moving smoothly keeps one id over 100 frames', () => {
  const tracker = new FaceTracker(OPTIONS);
  const seen = new Set<number>();
  for (let k = 0; k < 100; k++) {
    // Curving path: 3 px/frame across, a slow vertical wave.
    const u = tracker.update([{ boxPx: box(50 + 3 * k, 200 + 40 * Math.sin(k / 15)), score: 1 }], at(k, 30));
    u.trackIds.forEach((id) => seen.add(id));
    assert.equal(u.ended, []);
  }
  assert.equal([...seen], [1]);
  assert.is(tracker.size, 1);
});

test('two separated faces keep their ids', () => {
  const tracker = new FaceTracker(OPTIONS);
  for (let k = 0; k < 60; k++) {
    const faces = [{ boxPx: box(100 + 2 * k, 100) }, { boxPx: box(500 - 2 * k, 300) }];
    const u = tracker.update(faces, at(k, 30));
    assert.equal(u.trackIds, [1, 2]);
    assert.equal(u.started, k === 0 ? [1, 2] : []);
  }
});

test('a face missing for less than maxMissedMs keeps its id when it returns near its predicted place', () => {
  const tracker = new FaceTracker(OPTIONS);
  const path = (k: number): BoxPx => box(100 + 5 * k, 150); // 150 px/s
  for (let k = 0; k < 20; k++) tracker.update([{ boxPx: path(k) }], at(k, 30));
  // Gone for 13 frames (400 ms): it moved 65 px, so only the motion model finds it again.
  for (let k = 20; k < 33; k++) assert.equal(tracker.update([], at(k, 30)).ended, []);
  assert.ok(iou(path(33), path(19)) < OPTIONS.matchIou);
  const back = tracker.update([{ boxPx: path(33) }], at(33, 30));
  assert.equal(back.trackIds, [1]);
  assert.equal(back.started, []);
});

test('a face that shrinks as it slides under another, then is hidden, keeps its id when it comes back at its own size', () => {
  const tracker = new FaceTracker({ ...OPTIONS, maxMissedMs: 1000 });
  // B moves left at 4.4 px/frame (25 fps); its last frames before it is hidden are cut by the
  // face on top of it, so its box shrinks by 9 px a frame; hidden for 18 frames (720 ms).
  const centre = (k: number) => 400 - 4.4 * k;
  const sized = (k: number, side: number): BoxPx => ({ x: centre(k) - side / 2, y: 240 - side / 2, width: side, height: side });
  for (let k = 0; k < 40; k++) tracker.update([{ boxPx: sized(k, 120), score: 1 }], at(k, 25));
  for (let k = 40; k < 43; k++) tracker.update([{ boxPx: sized(k, 120 - 9 * (k - 39)), score: 1 }], at(k, 25));
  for (let k = 43; k < 61; k++) tracker.update([], at(k, 25));
  const back = tracker.update([{ boxPx: sized(61, 110), score: 1 }], at(61, 25));
  assert.equal(back.trackIds, [1]);
  assert.equal(back.started, []);
});

test('missing longer than maxMissedMs ends the track with its last-seen time; the face returns with a new id', () => {
  const tracker = new FaceTracker(OPTIONS);
  for (let k = 0; k < 10; k++) tracker.update([{ boxPx: box(100, 100) }], at(k, 30));
  const lastSeen = at(9, 30);
  const endedAt: number[] = [];
  for (let k = 10; k < 40; k++) {
    const u = tracker.update([], at(k, 30));
    if (u.ended.length > 0) {
      assert.equal(u.ended, [{ trackId: 1, lastSeenMs: lastSeen }]);
      endedAt.push(at(k, 30));
    }
  }
  // Ends once, on the first frame more than 500 ms after it was last seen.
  assert.is(endedAt.length, 1);
  assert.ok(endedAt[0] - lastSeen > 500 && endedAt[0] - at(1, 30) - lastSeen <= 500);
  assert.is(tracker.size, 0);
  const back = tracker.update([{ boxPx: box(100, 100) }], at(40, 30));
  assert.equal(back.trackIds, [2]);
  assert.equal(back.started, [2]);
});

test('unseen for exactly maxMissedMs stays open; the update that ends a track can start the returning face', () => {
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(100, 100) }], 1000);
  assert.equal(tracker.update([], 1500).ended, []);
  assert.equal(tracker.update([{ boxPx: box(100, 100) }], 1500).trackIds, [1]);
  // No frames at all during the gap (e.g. a stalled detector): one update ends and restarts.
  const u = tracker.update([{ boxPx: box(100, 100) }], 2001);
  assert.equal(u.ended, [{ trackId: 1, lastSeenMs: 1500 }]);
  assert.equal(u.trackIds, [2]);
  assert.equal(u.started, [2]);
});

test('ids are never reused and strictly increase across track ends', () => {
  const tracker = new FaceTracker(OPTIONS, countingIds(7));
  const ids: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = round * 2000;
    ids.push(...tracker.update([{ boxPx: box(100, 100) }, { boxPx: box(400, 100) }], t0).started);
    tracker.update([], t0 + 1000); // both end
  }
  assert.equal(ids, [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
});

test('crossing: two faces moving toward each other keep their ids (naive last-box matching swaps them)', () => {
  // A goes right, B left, 12 px/frame each on the same row; boxes overlap on frames 24..27
  // and B is 6 px ahead of A at frame 25, so at frame 26 each face is closer to the other's
  // last box than to its own.
  const a = (k: number): BoxPx => box(12 * k, 100);
  const b = (k: number): BoxPx => box(606 - 12 * k, 100);
  const tracker = new FaceTracker(OPTIONS);
  let naive = [0, 1]; // naive track index of face A, face B
  let naiveSwitches = 0;
  for (let k = 0; k < 50; k++) {
    const u = tracker.update([{ boxPx: a(k) }, { boxPx: b(k) }], at(k, 30));
    assert.equal(u.trackIds, [1, 2], `frame ${k}`);
    if (k === 0) continue;
    // Naive: last boxes of naive tracks 0 and 1.
    const last: BoxPx[] = [];
    last[naive[0]] = a(k - 1);
    last[naive[1]] = b(k - 1);
    const next = naiveMatch([a(k), b(k)], last);
    if (next[0] !== naive[0]) naiveSwitches++;
    naive = next;
  }
  assert.ok(iou(a(26), b(26)) > 0.5, 'the boxes overlap heavily while crossing');
  assert.is(naiveSwitches, 1, 'the scenario must defeat nearest-last-box matching');
  assert.is(tracker.size, 2);
});

test('two-stage: a low-score face gets a track only after the high-score faces took theirs', () => {
  const tracker = new FaceTracker(OPTIONS);
  // Two still tracks side by side, overlapping a little: 1 at x 0, 2 at x 60 (100 px boxes).
  for (let k = 0; k < 5; k++) {
    assert.equal(tracker.update([{ boxPx: box(0, 0, 100), score: 0.9 }, { boxPx: box(60, 0, 100), score: 0.9 }], at(k, 30)).trackIds, [1, 2]);
  }
  const high = { boxPx: box(-30, 0, 100), score: 0.9 }; // IoU 0.54 with track 1
  const low = { boxPx: box(20, 0, 100), score: 0.3 }; // IoU 0.67 with track 1, 0.43 with track 2
  const predicted = tracker.predict(at(5, 30)).map((t) => t.boxPx);
  // Single-stage greedy would pair the low face with track 1 and leave the high face without a track.
  assert.ok(iou(low.boxPx, predicted[0]) > iou(high.boxPx, predicted[0]));
  assert.ok(iou(high.boxPx, predicted[1]) < OPTIONS.matchIou);
  assert.ok(iou(low.boxPx, predicted[1]) >= OPTIONS.matchIou);
  const u = tracker.update([low, high], at(5, 30));
  assert.equal(u.trackIds, [2, 1]);
  assert.equal(u.started, []);
});

test('a face without a score counts as high-score; an unmatched low-score face still starts a track', () => {
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(0, 0, 100) }], 0);
  const u = tracker.update([{ boxPx: box(0, 0, 100), score: 0.1 }, { boxPx: box(10, 0, 100) }], 33);
  assert.equal(u.trackIds, [2, 1]);
  assert.equal(u.started, [2]);
});

test('a track takes at most one face: of two faces on one track, the closer keeps it and the other starts a track', () => {
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(0, 0, 100) }], 0);
  // Both overlap track 1 well above matchIou; the second overlaps it more.
  const u = tracker.update([{ boxPx: box(-25, 0, 100) }, { boxPx: box(10, 0, 100) }], 33);
  assert.equal(u.trackIds, [2, 1]);
  assert.equal(u.started, [2]);
  assert.is(tracker.size, 2);
});

test('a face takes at most one track: the better-overlapping one, the other stays open unmatched', () => {
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(0, 0, 100) }, { boxPx: box(50, 0, 100) }], 0);
  // Overlaps track 2 (IoU 0.67) more than track 1 (IoU 0.43); both above matchIou.
  const u = tracker.update([{ boxPx: box(30, 0, 100) }], 33);
  assert.equal(u.trackIds, [2]);
  assert.equal(u.started, []);
  assert.is(tracker.size, 2);
  // Track 1 was not seen at 33 ms: it ends 500 ms after 0, track 2 does not.
  assert.equal(tracker.update([], 520).ended, [{ trackId: 1, lastSeenMs: 0 }]);
});

test('same ids and track counts at 15 and 30 fps (time is in ms, not frames)', () => {
  // 150 px/s; absent 0.8-1.2 s (kept: 400 ms < 500) and 2-3 s (ended, then a new id).
  const visible = (t: number): boolean => !(t >= 800 && t < 1200) && !(t >= 2000 && t < 3000);
  const run = (fps: number): { ids: Map<number, number[]>; started: number; ended: number; size: number } => {
    const tracker = new FaceTracker(OPTIONS);
    const ids = new Map<number, number[]>();
    let started = 0;
    let ended = 0;
    for (let k = 0; at(k, fps) <= 4000; k++) {
      const t = at(k, fps);
      const u = tracker.update(visible(t) ? [{ boxPx: box(50 + 0.15 * t, 200) }] : [], t);
      ids.set(Math.round(t), u.trackIds);
      started += u.started.length;
      ended += u.ended.length;
    }
    return { ids, started, ended, size: tracker.size };
  };
  const slow = run(15);
  const fast = run(30);
  for (const [t, ids] of slow.ids) assert.equal(fast.ids.get(t), ids, `t=${t}`);
  assert.equal({ ...slow, ids: null }, { ...fast, ids: null });
  assert.equal({ started: slow.started, ended: slow.ended, size: slow.size }, { started: 2, ended: 1, size: 1 });
  assert.equal(slow.ids.get(4000), [2]);
});

test('endAll ends every open track, oldest id first, and later ids stay new', () => {
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(0, 0) }, { boxPx: box(200, 0) }], 0);
  tracker.update([{ boxPx: box(0, 0) }, { boxPx: box(400, 0) }], 100); // 3 starts; 2 unseen
  assert.equal(tracker.endAll(), [
    { trackId: 1, lastSeenMs: 100 },
    { trackId: 2, lastSeenMs: 0 },
    { trackId: 3, lastSeenMs: 100 },
  ]);
  assert.is(tracker.size, 0);
  assert.equal(tracker.endAll(), []);
  assert.equal(tracker.update([{ boxPx: box(0, 0) }], 200).trackIds, [4]);
});

test('10 faces per frame: each keeps its id, input order preserved while the order shuffles', () => {
  const tracker = new FaceTracker(OPTIONS);
  // Faces on a 5x2 grid, each drifting its own way at up to 2 px/frame.
  const face = (i: number, k: number): BoxPx => box(50 + 150 * (i % 5) + ((i * 7) % 5 - 2) * k * 0.5, 50 + 200 * Math.floor(i / 5) + ((i * 3) % 5 - 2) * k * 0.5);
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const idOf = new Map<number, number>();
  for (let k = 0; k < 60; k++) {
    const order = Array.from({ length: 10 }, (_, i) => i).sort(() => rand() - 0.5);
    const u = tracker.update(order.map((i) => ({ boxPx: face(i, k), score: 0.9 })), at(k, 30));
    assert.is(u.trackIds.length, 10);
    assert.is(new Set(u.trackIds).size, 10, 'no two faces share a track');
    order.forEach((i, pos) => {
      if (k === 0) idOf.set(i, u.trackIds[pos]);
      assert.is(u.trackIds[pos], idOf.get(i), `frame ${k}, face ${i}`);
    });
    assert.is(tracker.size, 10);
  }
  assert.equal([...idOf.values()].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('predict lists the open tracks at their expected boxes, without changing them', () => {
  const tracker = new FaceTracker(OPTIONS);
  for (let k = 0; k < 10; k++) tracker.update([{ boxPx: box(100 + 3 * k, 100) }], at(k, 30));
  const ahead = tracker.predict(at(15, 30));
  assert.is(ahead.length, 1);
  assert.is(ahead[0].trackId, 1);
  assert.ok(Math.abs(ahead[0].boxPx.x - (100 + 3 * 15)) < 2, JSON.stringify(ahead[0]));
  assert.equal(tracker.predict(at(15, 30)), ahead);
});

test('time going backwards does not break it: no early ends, same ids, finite boxes', () => {
  const tracker = new FaceTracker(OPTIONS);
  for (let k = 0; k < 10; k++) tracker.update([{ boxPx: box(100 + 3 * k, 100) }], 1000 + at(k, 30));
  const u = tracker.update([{ boxPx: box(127, 100) }], 500);
  assert.equal(u.trackIds, [1]);
  assert.equal(u.ended, []);
  const [p] = tracker.predict(0);
  assert.ok([p.boxPx.x, p.boxPx.y, p.boxPx.width, p.boxPx.height].every(Number.isFinite));
  // Last-seen time did not go back: still open 500 ms after the latest frame time.
  assert.equal(tracker.update([], 1000 + at(9, 30) + 500).ended, []);
});

test('rejects bad options and bad boxes, the latter before any state changes', () => {
  assert.throws(() => new FaceTracker({ ...OPTIONS, matchIou: 0 }), RangeError);
  assert.throws(() => new FaceTracker({ ...OPTIONS, maxMissedMs: -1 }), RangeError);
  const tracker = new FaceTracker(OPTIONS);
  tracker.update([{ boxPx: box(0, 0) }], 0);
  assert.throws(() => tracker.update([{ boxPx: box(0, 0) }, { boxPx: { x: 0, y: 0, width: 0, height: 5 } }], 10_000), RangeError);
  assert.is(tracker.size, 1, 'the stale track was not ended by the rejected update');
});

test('an id source that runs dry or repeats an id throws without changing any track', () => {
  let left = 1;
  const throwing = new FaceTracker(OPTIONS, {
    next: () => {
      if (left-- > 0) return 1;
      throw new Error('no ids');
    },
  });
  throwing.update([{ boxPx: box(0, 0) }], 0);
  // At 1000 ms track 1 is stale and a new face needs an id: the source throws, nothing is ended.
  assert.throws(() => throwing.update([{ boxPx: box(300, 0) }], 1000), /no ids/);
  assert.is(throwing.size, 1);
  assert.equal(throwing.update([], 1000).ended, [{ trackId: 1, lastSeenMs: 0 }]);

  const repeating = new FaceTracker(OPTIONS, { next: () => 5 });
  repeating.update([{ boxPx: box(0, 0) }], 0);
  assert.throws(() => repeating.update([{ boxPx: box(0, 0) }, { boxPx: box(300, 0) }], 33), /never be reused/);
  assert.equal(repeating.predict(33), [{ trackId: 5, boxPx: box(0, 0), lastSeenMs: 0 }]);
});

test.run();
