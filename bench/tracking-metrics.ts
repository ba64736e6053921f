/**
 * bench:tracking's measurements: one clip through the embedded pipeline (every classified frame
 * recorded in order), and the figures taken from those records: label changes per track, tracks
 * counted, id switches against known face positions, accuracy against known classes, and the
 * tracker's and smoother's own cost.
 */
import type { PipelineConfig, TrackingConfig } from '../config/schema.ts';
import { runPipeline } from '../pipeline/compose.ts';
import type { FaceDetector } from '../pipeline/detectors/face-detector.ts';
import type { EmotionClassifier } from '../pipeline/classifiers/emotion-classifier.ts';
import { FaceTracker } from '../pipeline/tracking/face-tracker.ts';
import { EmotionSmoother } from '../pipeline/tracking/emotion-smoother.ts';
import { EMOTIONS, type BoxPx, type Emotion, type EmotionScores, type TrackEvent } from '../pipeline/messages.ts';
import { seededRandom, type CrossingTruth, type FerTruth } from './tracking-clips.ts';

export interface FaceRecord {
  trackId: number;
  box: BoxPx;
  label: Emotion;
  stable: Emotion;
}

export interface FrameRecord {
  seq: number;
  ptsMs: number;
  faces: FaceRecord[];
  events: TrackEvent[];
}

export interface ClipRun {
  frames: FrameRecord[];
  fps: number;
  wallSeconds: number;
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
/** Rounded, or null for a ratio/rate with nothing to divide by (JSON has no Infinity). */
export const fig = (v: number, digits = 2): number | null => (Number.isFinite(v) ? round(v, digits) : null);

/** One clip through runPipeline (replay: every frame), recording each classified frame in order. */
export async function runClip(path: string, base: PipelineConfig, detector: FaceDetector, classifier: EmotionClassifier): Promise<ClipRun> {
  const config: PipelineConfig = { ...base, source: { type: 'file', path }, mode: 'replay' };
  const frames: FrameRecord[] = [];
  const summary = await runPipeline(config, {
    detector, classifier, sinks: [],
    onFrame: (msg) => {
      if (msg.fault) throw new Error(`frame ${msg.meta.seq}: ${msg.fault.stage} failed: ${msg.fault.message}`);
      frames.push({
        seq: msg.meta.seq,
        ptsMs: msg.meta.ptsMs,
        faces: msg.faces.map((f) => {
          if (f.trackId === undefined || !f.stable) throw new Error('a face without trackId/stable: is tracking.enabled false?');
          return { trackId: f.trackId, box: f.boxPx, label: f.label, stable: f.stable.label };
        }),
        events: msg.trackEvents ?? [],
      });
    },
  }).done;
  return { frames, fps: summary.fps, wallSeconds: summary.wallSeconds };
}

// ---------------------------------------------------------------------------------------------
// 1. Label changes

export interface TrackChanges {
  track: number;
  frames: number;
  seconds: number;
  raw_changes: number;
  stable_changes: number;
  raw_per_s: number | null;
  stable_per_s: number | null;
}

/**
 * Per track: changes of the raw label and of the stable label between consecutive frames of the
 * track (frames where it was detected). A track's time is its first to last frame plus one frame
 * interval (so a one-frame track spans one frame, not zero).
 */
export function labelChanges(frames: FrameRecord[], frameMs: number): TrackChanges[] {
  const tracks = new Map<number, { first: number; last: number; frames: number; raw: number; stable: number; prev: FaceRecord }>();
  for (const frame of frames) {
    for (const face of frame.faces) {
      const t = tracks.get(face.trackId);
      if (!t) {
        tracks.set(face.trackId, { first: frame.ptsMs, last: frame.ptsMs, frames: 1, raw: 0, stable: 0, prev: face });
        continue;
      }
      t.raw += face.label !== t.prev.label ? 1 : 0;
      t.stable += face.stable !== t.prev.stable ? 1 : 0;
      t.last = frame.ptsMs;
      t.frames++;
      t.prev = face;
    }
  }
  return [...tracks.entries()].map(([track, t]) => {
    const seconds = (t.last - t.first + frameMs) / 1000;
    return { track, frames: t.frames, seconds: round(seconds), raw_changes: t.raw, stable_changes: t.stable, raw_per_s: fig(t.raw / seconds), stable_per_s: fig(t.stable / seconds) };
  });
}

/** Changes per second over many tracks: all changes over all track time, and the raw/stable ratio. */
export function pooledRates(tracks: TrackChanges[]) {
  const seconds = tracks.reduce((s, t) => s + t.seconds, 0);
  const raw = tracks.reduce((s, t) => s + t.raw_changes, 0);
  const stable = tracks.reduce((s, t) => s + t.stable_changes, 0);
  return {
    track_seconds: round(seconds, 1), raw_changes: raw, stable_changes: stable,
    raw_per_s: fig(raw / seconds), stable_per_s: fig(stable / seconds),
    /** null when the stable label never changed (then the ratio is unbounded: see raw_changes). */
    raw_over_stable: stable > 0 ? fig(raw / stable, 1) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Tracks counted

/** Distinct track ids over the clip, tracks open after the last frame, and tracks lasting at least 1 s. */
export function trackCounts(frames: FrameRecord[], frameMs: number) {
  const started = new Set<number>();
  const ended = new Set<number>();
  for (const f of frames) {
    for (const e of f.events) {
      if (e.type === 'track-start') started.add(e.trackId);
      if (e.type === 'track-end') ended.add(e.trackId);
    }
  }
  const span = new Map<number, [number, number]>();
  for (const f of frames) for (const face of f.faces) span.set(face.trackId, [span.get(face.trackId)?.[0] ?? f.ptsMs, f.ptsMs]);
  const atLeast1s = [...span.values()].filter(([a, b]) => b - a + frameMs >= 1000).length;
  const last = frames[frames.length - 1];
  return {
    distinct: started.size,
    /** Started and not ended by the last frame (the stream's end closes them). */
    alive_at_end: [...started].filter((id) => !ended.has(id)).length,
    lasting_1s: atLeast1s,
    faces_on_last_frame: last?.faces.length ?? 0,
    frames_with_face: frames.filter((f) => f.faces.length > 0).length,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Id switches against known face positions

/**
 * Each detected box goes to the visible ground-truth face whose centre is nearest to its centre,
 * if within half a face side (nearest pairs first; each face and box used once). For each face,
 * the track ids of the frames where it was detected, in order: an id switch is a change between
 * consecutive such frames.
 */
export function idSwitches(frames: FrameRecord[], truth: CrossingTruth) {
  const perFace = truth.frames[0].map(() => ({ ids: [] as number[], detected: 0, switches: 0, visible: 0, switchFrames: [] as number[] }));
  let unmatchedBoxes = 0;
  for (const frame of frames) {
    const gt = truth.frames[frame.seq];
    if (!gt) continue;
    gt.forEach((g, k) => { if (g.visible) perFace[k].visible++; });
    const pairs: { b: number; k: number; d: number }[] = [];
    frame.faces.forEach((face, b) => {
      const cx = face.box.x + face.box.width / 2;
      const cy = face.box.y + face.box.height / 2;
      gt.forEach((g, k) => {
        const d = Math.hypot(cx - g.cx, cy - g.cy);
        if (g.visible && d <= g.side / 2) pairs.push({ b, k, d });
      });
    });
    pairs.sort((p, q) => p.d - q.d);
    const usedB = new Set<number>();
    const usedK = new Set<number>();
    for (const { b, k } of pairs) {
      if (usedB.has(b) || usedK.has(k)) continue;
      usedB.add(b);
      usedK.add(k);
      const face = perFace[k];
      const id = frame.faces[b].trackId;
      if (face.ids.length > 0 && face.ids[face.ids.length - 1] !== id) {
        face.switches++;
        face.switchFrames.push(frame.seq);
      }
      face.ids.push(id);
      face.detected++;
    }
    unmatchedBoxes += frame.faces.length - usedB.size;
  }
  return {
    id_switches: perFace.reduce((s, f) => s + f.switches, 0),
    faces: perFace.map((f, k) => ({
      face: k === 0 ? 'A (moving right, on top)' : 'B (moving left)',
      frames_visible: f.visible, frames_detected: f.detected, id_switches: f.switches, switch_frames: f.switchFrames, track_ids: [...new Set(f.ids)],
    })),
    boxes_not_on_a_face: unmatchedBoxes,
    tracks_started: trackCounts(frames, 40).distinct,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Accuracy against known classes

const inside = (box: BoxPx, rect: BoxPx) => {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return cx >= rect.x && cx < rect.x + rect.width && cy >= rect.y && cy < rect.y + rect.height;
};

/**
 * Per frame, the detected box whose centre lies in the true face's square (the nearest to its
 * centre if several); raw and stable labels of that box scored against the face's class. Also
 * split by time since the face appeared (under / from `settleMs`), and how face changes were
 * tracked: a change "starts a new track" when the new face's first detected box has a track id
 * not seen on an earlier face.
 */
export function ferAccuracy(frames: FrameRecord[], truth: FerTruth, settleMs: number, frameMs: number) {
  let detected = 0;
  const acc = { raw: 0, stable: 0, earlyN: 0, earlyStable: 0, earlyRaw: 0, lateN: 0, lateStable: 0, lateRaw: 0 };
  const idsByFace = truth.faces.map(() => [] as number[]);
  const perClass = Object.fromEntries(EMOTIONS.map((e) => [e, { frames: 0, raw: 0, stable: 0 }])) as Record<Emotion, { frames: number; raw: number; stable: number }>;
  for (const frame of frames) {
    const gt = truth.frames[frame.seq];
    if (!gt) continue;
    const rect = gt.rect;
    const mid = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
    const dist = (b: BoxPx) => Math.hypot(b.x + b.width / 2 - mid.x, b.y + b.height / 2 - mid.y);
    const hit = frame.faces.filter((f) => inside(f.box, rect)).sort((p, q) => dist(p.box) - dist(q.box))[0];
    if (!hit) continue;
    const face = truth.faces[gt.face];
    detected++;
    idsByFace[gt.face].push(hit.trackId);
    const raw = hit.label === face.label ? 1 : 0;
    const stable = hit.stable === face.label ? 1 : 0;
    acc.raw += raw;
    acc.stable += stable;
    perClass[face.label].frames++;
    perClass[face.label].raw += raw;
    perClass[face.label].stable += stable;
    if ((frame.seq - face.start) * frameMs < settleMs) {
      acc.earlyN++; acc.earlyRaw += raw; acc.earlyStable += stable;
    } else {
      acc.lateN++; acc.lateRaw += raw; acc.lateStable += stable;
    }
  }
  const seen = new Set<number>();
  let changes = 0;
  let newTrackAtChange = 0;
  idsByFace.forEach((ids, k) => {
    if (ids.length > 0 && k > 0) {
      changes++;
      if (!seen.has(ids[0])) newTrackAtChange++;
    }
    for (const id of ids) seen.add(id);
  });
  const pct = (n: number, d: number) => (d > 0 ? fig((100 * n) / d, 1) : null);
  return {
    frames: truth.frames.length,
    frames_detected: detected,
    detection_rate_pct: pct(detected, truth.frames.length),
    raw_accuracy_pct: pct(acc.raw, detected),
    stable_accuracy_pct: pct(acc.stable, detected),
    [`first_${settleMs}ms_of_each_face`]: { frames: acc.earlyN, raw_accuracy_pct: pct(acc.earlyRaw, acc.earlyN), stable_accuracy_pct: pct(acc.earlyStable, acc.earlyN) },
    [`after_${settleMs}ms`]: { frames: acc.lateN, raw_accuracy_pct: pct(acc.lateRaw, acc.lateN), stable_accuracy_pct: pct(acc.lateStable, acc.lateN) },
    per_class: Object.fromEntries(EMOTIONS.map((e) => [e, { frames: perClass[e].frames, raw_pct: pct(perClass[e].raw, perClass[e].frames), stable_pct: pct(perClass[e].stable, perClass[e].frames) }])),
    faces_detected: idsByFace.filter((ids) => ids.length > 0).length,
    face_changes_detected: changes,
    face_changes_starting_a_new_track: newTrackAtChange,
    tracks_started: trackCounts(frames, frameMs).distinct,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Tracker and smoother cost

/**
 * FaceTracker.update with `faces` faces (80-120 px, each in its own horizontal lane so they never
 * meet, moving at 1-6 px per frame and bouncing off the frame's sides, +-1.5 px detector jitter)
 * at 25 fps for `frames` frames; then EmotionSmoother.update for the same faces and frames with
 * precomputed random probabilities. Seeded. The first 500 frames of each are a warm-up (JIT) on
 * separate instances and not timed.
 */
export function trackerSpeed(tracking: TrackingConfig, faces: number, frames: number) {
  const random = seededRandom(7);
  const W = 1920;
  const lane = 1080 / faces;
  const people = Array.from({ length: faces }, (_, k) => ({
    x: random() * (W - 120), y: k * lane + 2, side: Math.min(lane - 4, 80 + random() * 40), vx: (1 + random() * 5) * (random() < 0.5 ? -1 : 1),
  }));
  const boxesAt = (): { boxPx: BoxPx; score: number }[] => people.map((p) => {
    p.x += p.vx;
    if (p.x < 0 || p.x > W - p.side) { p.vx = -p.vx; p.x = Math.max(0, Math.min(W - p.side, p.x)); }
    const j = () => (random() - 0.5) * 3;
    return { boxPx: { x: p.x + j(), y: p.y + j(), width: p.side + j(), height: p.side + j() }, score: 1 };
  });
  // Inputs made up front: only update() is timed.
  const warm = Array.from({ length: 500 }, boxesAt);
  const inputs = Array.from({ length: frames }, boxesAt);
  const options = { maxMissedMs: tracking.maxMissedMs, matchIou: tracking.matchIou, highScore: tracking.highScore };
  const warmTracker = new FaceTracker(options);
  warm.forEach((f, i) => warmTracker.update(f, i * 40));
  const tracker = new FaceTracker(options);
  const perFrame = new Float64Array(frames);
  let started = 0;
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const s = performance.now();
    started += tracker.update(inputs[i], i * 40).started.length;
    perFrame[i] = performance.now() - s;
  }
  const trackerMs = performance.now() - t0;
  const sorted = [...perFrame].sort((a, b) => a - b);

  const scoreSets: EmotionScores[] = Array.from({ length: 1024 }, () => {
    const raw = EMOTIONS.map(() => random() ** 3);
    const sum = raw.reduce((a, b) => a + b, 0);
    return Object.fromEntries(EMOTIONS.map((e, i) => [e, raw[i] / sum])) as EmotionScores;
  });
  const runSmoothers = (n: number) => {
    const smoothers = Array.from({ length: faces }, () => new EmotionSmoother(tracking.smoothing));
    let changes = 0;
    const s = performance.now();
    for (let i = 0; i < n; i++) for (let k = 0; k < faces; k++) if (smoothers[k].update(scoreSets[(i * faces + k) & 1023], i * 40).changed) changes++;
    return { ms: performance.now() - s, changes };
  };
  runSmoothers(500);
  const smoothing = runSmoothers(frames);
  return {
    faces, frames,
    tracker_ms_per_frame: fig(trackerMs / frames, 4),
    tracker_p99_ms: fig(sorted[Math.floor(0.99 * (frames - 1))], 4),
    tracker_max_ms: fig(sorted[frames - 1], 3),
    tracks_started: started,
    smoothing_ms_per_frame: fig(smoothing.ms / frames, 4),
    both_ms_per_frame: fig((trackerMs + smoothing.ms) / frames, 4),
  };
}
