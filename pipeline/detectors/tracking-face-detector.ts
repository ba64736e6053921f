import type { BoxPx, DetectedFace } from '../messages.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';
import { FaceTracker, type TrackedFace } from '../tracking/face-tracker.ts';
import { iou } from './box-iou.ts';
import type { DetectContext, FaceDetector, RegionFaceDetector } from './face-detector.ts';

export interface TrackingOptions {
  /** Whole-frame detection on every this-many frames of a replayed stream (seq 0, N, 2N, ...); 1 = every frame. */
  fullEvery: number;
  /** The same for live frames (default: fullEvery). */
  liveFullEvery?: number;
  /** How far around a known face to look for it on the frames in between, in face sides (default 0.35). */
  margin?: number;
  /**
   * How long (ms of presentation time) a known face may go unseen near where its track predicts
   * it before it is forgotten until the next whole-frame pass (default 1000, as tracking.maxMissedMs).
   */
  maxMissedMs?: number;
  /** Least IoU for a face found to continue a known one (default 0.3, as tracking.matchIou). */
  matchIou?: number;
  /** Streams remembered at once; the least recently seen is forgotten first (default 256). */
  maxStreams?: number;
  /** Told when a background whole-frame pass fails (the next one is tried N frames later). */
  onBackgroundError?: (err: unknown, context: DetectContext) => void;
}

interface StreamState {
  /** seq of the last whole-frame pass started. */
  lastFullSeq: number;
  /** Highest seq seen: a smaller one means the stream started again. */
  lastSeq: number;
  /** The faces known in this stream: the same tracker the track-emotions stage uses for identities. */
  tracks: FaceTracker;
  passInFlight: boolean;
  /** A replay's whole-frame pass still running: frames after it wait for its faces. */
  replayPass?: { seq: number; done: Promise<void> };
}

/** How sure we are of a face found only by searching near a known one: matched to tracks second (ByteTrack). */
export const NEAR_SEARCH_SCORE = 0.5;
/** A live face unseen for longer than this (ms) is looked for in a CATCH_UP_MARGIN window. */
const CATCH_UP_AFTER_MS = 150;
/** The window around such a face, in face sides on each side. */
const CATCH_UP_MARGIN = 1;
/** Frame times when a context gives none (25 fps). */
const DEFAULT_FRAME_MS = 40;

/** Boxes overlapping more than this (intersection over union) are the same face. */
const SAME_FACE_IOU = 0.3;

/**
 * Detect-then-track: the wrapped detector searches the whole frame on every `fullEvery`-th
 * frame of a stream (`liveFullEvery`-th for live frames); on the frames in between it only looks near the faces it already knows
 * (a window around each, at about its size), which costs a few ms instead of a whole-frame
 * pyramid. The known faces are tracks of a FaceTracker (pipeline/tracking: Kalman-predicted boxes,
 * so a moving face is looked for where it will be, not where it was). Every frame's boxes are
 * found on that frame's own pixels; what is given up is that a face entering the picture is found
 * at the next whole-frame pass. A face unseen for more than `maxMissedMs` waits for that pass too.
 * Faces of a whole-frame pass score 1, faces found near a known one NEAR_SEARCH_SCORE.
 *
 * Replays (`context.live` false): the pass runs on the frame itself, so which frames get one
 * depends only on `seq`, and frames detected alongside it (detector.concurrency > 1) wait for its
 * faces; a frame on which a known face is not found near its track gets a whole-frame pass too.
 * Live frames: the pass runs in the background on a copy of the frame and its new faces join the tracks when it ends,
 * so no frame waits for a whole-frame search (the first frames of a stream have no faces until
 * the first pass ends); a live face unseen for a while (one a pass found frames ago) is looked
 * for in a wider window. Without a context (a lone image) every call is a whole-frame detection.
 */
export class TrackingFaceDetector implements FaceDetector {
  readonly name: string;
  private readonly streams = new Map<string, StreamState>();
  private readonly margin: number;
  private readonly maxStreams: number;

  constructor(private readonly inner: RegionFaceDetector, private readonly options: TrackingOptions) {
    this.name = `${inner.name}+tracking`;
    this.margin = options.margin ?? 0.35;
    this.maxStreams = options.maxStreams ?? 256;
  }

  async detect(frame: BgrFrame, context?: DetectContext): Promise<BoxPx[]> {
    return (await this.detectScored(frame, context)).map((f) => f.boxPx);
  }

  async detectScored(frame: BgrFrame, context?: DetectContext): Promise<DetectedFace[]> {
    const every = context?.live ? (this.options.liveFullEvery ?? this.options.fullEvery) : this.options.fullEvery;
    if (!context || every <= 1) return whole(await this.inner.detect(frame));
    const t = context.ptsMs ?? context.seq * DEFAULT_FRAME_MS;
    const previous = this.streams.get(context.stream);
    // A stream that starts again (seq back to 0) starts with no known faces.
    const known = previous && context.seq >= previous.lastSeq - every ? previous : undefined;
    const due = !known || this.isPassDue(known, context.seq, every);
    const state = known ?? { lastFullSeq: context.seq, lastSeq: context.seq, tracks: this.newTracks(), passInFlight: false };
    state.lastSeq = Math.max(state.lastSeq, context.seq);
    this.remember(context.stream, state);
    if (due && !context.live) return this.replayPass(frame, context.seq, state, t);
    if (due && !state.passInFlight) this.startBackgroundPass(frame, context, state, t);
    // A replayed frame detected alongside an earlier frame's pass (detector.concurrency > 1) waits
    // for that pass: searching near the faces known before it would miss every face it is finding
    // (all of them, on a stream's first frames).
    const pass = state.replayPass;
    if (!context.live && pass && pass.seq < context.seq) await pass.done;
    const near = await this.searchNear(frame, state, t, context.live === true);
    // A replayed face lost near its track (a fast turn, a jump in size) is looked for on the
    // whole frame at once rather than N frames later: every-frame detection would have found it.
    if (!context.live && near.lost > 0) return this.replayPass(frame, context.seq, state, t, near.faces);
    state.tracks.update(near.faces, t);
    return near.faces;
  }

  dispose(): void {
    this.streams.clear();
    this.inner.dispose?.();
  }

  /**
   * A replayed frame's whole-frame pass: every face it sees continues its track or starts a new
   * one. `nearFaces`, found on this frame near known faces, keep their tracks too where the pass
   * missed them; the tracks are updated once for the frame.
   */
  private async replayPass(frame: BgrFrame, seq: number, state: StreamState, t: number, nearFaces: DetectedFace[] = []): Promise<DetectedFace[]> {
    state.lastFullSeq = seq; // frames detected alongside this one track instead of starting their own pass
    const boxes = this.inner.detect(frame);
    const done = boxes.then((b) => {
      const missed = nearFaces.filter((f) => !b.some((box) => iou(box, f.boxPx) > SAME_FACE_IOU));
      state.tracks.update([...whole(b), ...missed], t);
    }, () => undefined);
    const pass = { seq, done };
    state.replayPass = pass;
    try {
      return whole(await boxes);
    } finally {
      if (state.replayPass === pass) state.replayPass = undefined;
    }
  }

  /**
   * Looks for each known face near where its track predicts it (tracks unseen for too long are
   * ended first, not looked for). Returns the faces found and how many known faces were not; the
   * caller updates the tracks with them.
   */
  private async searchNear(frame: BgrFrame, state: StreamState, t: number, live: boolean): Promise<{ faces: DetectedFace[]; lost: number }> {
    state.tracks.update([], t); // ends the tracks unseen for too long: they are not looked for
    const open = state.tracks.predict(t);
    if (open.length === 0) return { faces: [], lost: 0 };
    // A live pass ends frames after the one it searched, and a face it found has no velocity yet:
    // by now it may have moved further than the usual window reaches, so faces unseen for a while
    // are looked for in a wider one.
    const behind = (k: TrackedFace) => live && t - k.lastSeenMs > CATCH_UP_AFTER_MS;
    const groups = [open.filter((k) => !behind(k)), open.filter(behind)];
    const searches = groups.map((g, i) => (g.length === 0 ? Promise.resolve([]) : this.inner.detectNear(frame, g.map((k) => clip(k.boxPx, frame)), i === 0 ? this.margin : Math.max(this.margin, CATCH_UP_MARGIN))));
    const found = (await Promise.all(searches)).flat();
    const boxes: BoxPx[] = [];
    for (const box of found) if (box && !boxes.some((b) => iou(b, box) > SAME_FACE_IOU)) boxes.push(box);
    boxes.sort((a, b) => a.x - b.x || a.y - b.y);
    const faces = boxes.map((boxPx) => ({ boxPx, score: NEAR_SEARCH_SCORE }));
    return { faces, lost: open.length - faces.length };
  }

  private newTracks(): FaceTracker {
    const { maxMissedMs = 1000, matchIou = SAME_FACE_IOU } = this.options;
    return new FaceTracker({ maxMissedMs, matchIou, highScore: 1 });
  }

  private startBackgroundPass(frame: BgrFrame, context: DetectContext, state: StreamState, t: number): void {
    state.lastFullSeq = context.seq;
    state.passInFlight = true;
    // The frame's pixels go back to the frame store once this frame moves on: search a copy.
    const copy: BgrFrame = { ...frame, pixels: Buffer.from(frame.pixels) };
    this.inner.detect(copy)
      .then((boxes) => {
        if (this.streams.get(context.stream) !== state) return; // forgotten meanwhile
        // Tracks seen on frames after the pass's one are fresher than it: faces it found on them
        // are left to them. Every other face joins, continuing a track unseen since (a stale track
        // must not hide a face: on a scene change it lingers where a new face is) or starting one.
        const fresher = state.tracks.predict(t).filter((k) => k.lastSeenMs > t);
        const fresh = boxes.filter((box) => !fresher.some((k) => iou(k.boxPx, box) > SAME_FACE_IOU));
        state.tracks.update(whole(fresh), t);
      })
      .catch((err: unknown) => this.options.onBackgroundError?.(err, context))
      .finally(() => { state.passInFlight = false; });
  }

  /** A whole-frame pass on seq 0, N, 2N...; also on a later frame of a block of N whose pass was dropped, and on a new stream. */
  private isPassDue(state: StreamState, seq: number, every: number): boolean {
    return seq % every === 0 || Math.floor(seq / every) !== Math.floor(state.lastFullSeq / every);
  }

  private remember(stream: string, state: StreamState): void {
    this.streams.delete(stream); // re-insert: Map order is then least recently seen first
    this.streams.set(stream, state);
    if (this.streams.size > this.maxStreams) this.streams.delete(this.streams.keys().next().value as string);
  }
}

/** A whole-frame search's faces: it saw the whole frame, so each scores 1. */
function whole(boxes: BoxPx[]): DetectedFace[] {
  return boxes.map((boxPx) => ({ boxPx, score: 1 }));
}

/** A predicted box as an integer box inside the frame (a track may drift past an edge). */
function clip(box: BoxPx, frame: BgrFrame): BoxPx {
  const x = Math.max(0, Math.min(frame.width - 1, Math.round(box.x)));
  const y = Math.max(0, Math.min(frame.height - 1, Math.round(box.y)));
  return { x, y, width: Math.max(1, Math.min(frame.width - x, Math.round(box.width))), height: Math.max(1, Math.min(frame.height - y, Math.round(box.height))) };
}
