import type { BoxPx } from '../messages.ts';
import { iou } from '../detectors/box-iou.ts';
import { KalmanBoxFilter } from './kalman-box.ts';

export interface TrackerOptions {
  /** A track unseen for longer than this (ms, presentation time) ends. */
  maxMissedMs: number;
  /** Least IoU between a face and a track's predicted box to match. */
  matchIou: number;
  /** Faces with score >= highScore (or no score) are matched first; weaker ones second (ByteTrack). */
  highScore: number;
}

/** Where track ids come from: ids are never reused within a stream. */
export interface TrackIdSource {
  next(): number;
}

/** Ids first, first + 1, ...: strictly increasing, so never reused. */
export function countingIds(first = 1): TrackIdSource {
  if (!Number.isSafeInteger(first)) throw new RangeError(`first id must be a safe integer, got ${first}`);
  let id = first;
  return { next: () => id++ };
}

/** An open track and its box (px, floats: the caller rounds). */
export interface TrackedFace {
  trackId: number;
  boxPx: BoxPx;
  /** Presentation time (ms) of the last update that matched a face to the track. */
  lastSeenMs: number;
}

export interface EndedTrack {
  trackId: number;
  /** Presentation time (ms) of the last update that matched a face to the track. */
  lastSeenMs: number;
}

export interface TrackerUpdate {
  /** The track id of each input face, in input order: every face gets one (an unmatched face starts a track). */
  trackIds: number[];
  /** Ids of the tracks started by this update. */
  started: number[];
  /** Tracks ended by this update: unseen for longer than maxMissedMs before tMs. */
  ended: EndedTrack[];
}

interface Track {
  readonly id: number;
  readonly filter: KalmanBoxFilter;
  lastSeenMs: number;
}

/** A face to associate; `score` as on DetectedFace (0..1, absent = sure). */
type FaceIn = { boxPx: BoxPx; score?: number };

/**
 * Per-stream face tracker: SORT (a constant-velocity Kalman filter per track, matched by IoU
 * with its predicted box) with ByteTrack's two stages (sure faces first, weak ones only
 * against the tracks left over). Pure logic, one instance per stream.
 *
 * Each update, in order: end tracks last seen more than `maxMissedMs` before tMs; predict the
 * open tracks to tMs; match high-score faces, then low-score faces to the tracks left, then the
 * faces left to the tracks left at their predicted centre but last size, each stage greedily
 * by IoU descending (pairs below `matchIou` never match); start a track for every face left.
 *
 * Invariants: a track takes at most one face and a face at most one track per update; ids
 * come only from the TrackIdSource; tracks are kept (and ended, and listed) in start order;
 * time going backwards is treated as no time passing (dt 0, and a track's last-seen time never
 * decreases). Invalid input, or a TrackIdSource that throws or repeats an id, throws before
 * any track changes.
 */
export class FaceTracker {
  /** Open tracks in start order (Map keeps insertion order). */
  private readonly tracks = new Map<number, Track>();

  constructor(
    private readonly options: TrackerOptions,
    private readonly ids: TrackIdSource = countingIds(),
  ) {
    const { maxMissedMs, matchIou, highScore } = options;
    if (!(maxMissedMs >= 0) || !Number.isFinite(maxMissedMs)) throw new RangeError(`maxMissedMs must be >= 0, got ${maxMissedMs}`);
    if (!(matchIou > 0 && matchIou <= 1)) throw new RangeError(`matchIou must be in (0, 1], got ${matchIou}`);
    if (!Number.isFinite(highScore)) throw new RangeError(`highScore must be finite, got ${highScore}`);
  }

  update(faces: readonly FaceIn[], tMs: number): TrackerUpdate {
    if (!Number.isFinite(tMs)) throw new RangeError(`time must be a finite number of ms, got ${tMs}`);
    faces.forEach((f, i) => assertBox(f.boxPx, i));
    const isStale = (t: Track): boolean => tMs - t.lastSeenMs > this.options.maxMissedMs;
    const stale = [...this.tracks.values()].filter(isStale);
    const live = [...this.tracks.values()].filter((t) => !isStale(t));
    const faceToTrack = this.associate(faces, live, tMs);
    // Ids are drawn before any state changes, so a source that throws leaves the tracker as it was.
    const newIds = this.drawIds(faces.length - faceToTrack.size);

    for (const t of stale) this.tracks.delete(t.id);
    let fresh = 0;
    const trackIds = faces.map((face, i) => {
      const t = faceToTrack.get(i);
      return t === undefined ? this.start(newIds[fresh++], face.boxPx, tMs) : this.see(live[t], face.boxPx, tMs);
    });
    return { trackIds, started: newIds, ended: stale.map((t) => ({ trackId: t.id, lastSeenMs: t.lastSeenMs })) };
  }

  /** The open tracks' predicted boxes at tMs: where to look for them on a frame at that time. */
  predict(tMs: number): TrackedFace[] {
    return [...this.tracks.values()].map((t) => ({ trackId: t.id, boxPx: t.filter.predict(tMs), lastSeenMs: t.lastSeenMs }));
  }

  /** Ends every open track (stream end), oldest id first. */
  endAll(): EndedTrack[] {
    const ended = [...this.tracks.values()].map((t) => ({ trackId: t.id, lastSeenMs: t.lastSeenMs }));
    this.tracks.clear();
    return ended;
  }

  /** Open tracks. */
  get size(): number {
    return this.tracks.size;
  }

  /**
   * ByteTrack's two stages (high-score faces against all tracks, then weak faces against the
   * rest), then a third: the faces still left against the tracks still left, at their predicted
   * centres but last size. Face index -> track index.
   */
  private associate(faces: readonly FaceIn[], live: readonly Track[], tMs: number): Map<number, number> {
    const high: number[] = [];
    const low: number[] = [];
    faces.forEach((f, i) => (f.score === undefined || f.score >= this.options.highScore ? high : low).push(i));
    const faceToTrack = new Map<number, number>();
    const taken = new Set<number>();
    const predicted = live.map((t) => t.filter.predict(tMs));
    const matchStage = (stage: number[], boxes: readonly BoxPx[]) => {
      const faceBoxes = stage.map((i) => faces[i].boxPx);
      for (const [s, t] of matchGreedy(faceBoxes, boxes, taken, this.options.matchIou)) {
        faceToTrack.set(stage[s], t);
        taken.add(t);
      }
    };
    matchStage(high, predicted);
    matchStage(low, predicted);
    // A face that slides under another shrinks before it is lost, so its track's size velocity
    // shrinks the prediction to nothing by the time the face comes back. Only faces and tracks
    // the first two stages left meet here.
    const left = faces.map((_, i) => i).filter((i) => !faceToTrack.has(i));
    if (left.length > 0 && taken.size < live.length) matchStage(left, live.map((t) => t.filter.predictCentre(tMs)));
    return faceToTrack;
  }

  /** Ids for the tracks this update starts, checked never to repeat an open (or just drawn) one. */
  private drawIds(count: number): number[] {
    const ids: number[] = [];
    for (let k = 0; k < count; k++) {
      const id = this.ids.next();
      // A source that repeats an id would merge two people: refuse rather than mislabel.
      if (this.tracks.has(id) || ids.includes(id)) throw new Error(`track id ${id} was given before: ids must never be reused`);
      ids.push(id);
    }
    return ids;
  }

  private see(track: Track, box: BoxPx, tMs: number): number {
    track.filter.update(box, tMs);
    track.lastSeenMs = Math.max(track.lastSeenMs, tMs);
    return track.id;
  }

  private start(id: number, box: BoxPx, tMs: number): number {
    this.tracks.set(id, { id, filter: new KalmanBoxFilter(box, tMs), lastSeenMs: tMs });
    return id;
  }
}

/**
 * Greedy assignment by IoU, highest pairs first: each face and each track used at most once,
 * tracks in `taken` skipped, pairs below minIou never made. Ties go to the earlier face, then
 * the older track, so results do not depend on sort stability. Returns [face, track] indices.
 */
function matchGreedy(faces: readonly BoxPx[], tracks: readonly BoxPx[], taken: ReadonlySet<number>, minIou: number): [number, number][] {
  const pairs: { f: number; t: number; v: number }[] = [];
  faces.forEach((fb, f) => {
    tracks.forEach((tb, t) => {
      if (taken.has(t)) return;
      const v = iou(fb, tb);
      if (v >= minIou) pairs.push({ f, t, v });
    });
  });
  pairs.sort((p, q) => q.v - p.v || p.f - q.f || p.t - q.t);
  const usedFaces = new Set<number>();
  const usedTracks = new Set<number>();
  const out: [number, number][] = [];
  for (const { f, t } of pairs) {
    if (usedFaces.has(f) || usedTracks.has(t)) continue;
    usedFaces.add(f);
    usedTracks.add(t);
    out.push([f, t]);
  }
  return out;
}

function assertBox(box: BoxPx, i: number): void {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isFinite) || width <= 0 || height <= 0) {
    throw new RangeError(`face ${i}: box must be finite with a positive size, got ${JSON.stringify(box)}`);
  }
}
