import type { BoxPx } from '../messages.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';
import { iou } from './box-iou.ts';
import type { DetectContext, FaceDetector, RegionFaceDetector } from './face-detector.ts';

export interface TrackingOptions {
  /** Whole-frame detection on every this-many frames of a replayed stream (seq 0, N, 2N, ...); 1 = every frame. */
  fullEvery: number;
  /** The same for live frames (default: fullEvery). */
  liveFullEvery?: number;
  /** How far around a known face to look for it on the frames in between, in face sides (default 0.35). */
  margin?: number;
  /** Frames a known face may go unseen near its last box before it is forgotten until the next whole-frame pass (default 2). */
  maxMisses?: number;
  /** Streams remembered at once; the least recently seen is forgotten first (default 256). */
  maxStreams?: number;
  /** Told when a background whole-frame pass fails (the next one is tried N frames later). */
  onBackgroundError?: (err: unknown, context: DetectContext) => void;
}

interface Track {
  box: BoxPx;
  misses: number;
}

interface StreamState {
  /** seq of the last whole-frame pass started. */
  lastFullSeq: number;
  tracks: Track[];
  passInFlight: boolean;
}

/** Boxes overlapping more than this (intersection over union) are the same face. */
const SAME_FACE_IOU = 0.3;

/**
 * Detect-then-track: the wrapped detector searches the whole frame on every `fullEvery`-th
 * frame of a stream (`liveFullEvery`-th for live frames); on the frames in between it only looks near the faces it already knows
 * (a window around each, at about its size), which costs a few ms instead of a whole-frame
 * pyramid. Every frame's boxes are found on that frame's own pixels; what is given up is that a
 * face entering the picture is found at the next whole-frame pass. A face missed near its box
 * for more than `maxMisses` frames waits for that pass too.
 *
 * Replays (`context.live` false): the pass runs on the frame itself, so which frames get one
 * depends only on `seq` (with one frame detected at a time a replay gives the same boxes every
 * time). Live frames: the pass
 * runs in the background on a copy of the frame and its new faces join the tracks when it ends,
 * so no frame waits for a whole-frame search (the first frames of a stream have no faces until
 * the first pass ends). Without a context (a lone image) every call is a whole-frame detection.
 */
export class TrackingFaceDetector implements FaceDetector {
  readonly name: string;
  private readonly streams = new Map<string, StreamState>();
  private readonly margin: number;
  private readonly maxMisses: number;
  private readonly maxStreams: number;

  constructor(private readonly inner: RegionFaceDetector, private readonly options: TrackingOptions) {
    this.name = `${inner.name}+tracking`;
    this.margin = options.margin ?? 0.35;
    this.maxMisses = options.maxMisses ?? 2;
    this.maxStreams = options.maxStreams ?? 256;
  }

  async detect(frame: BgrFrame, context?: DetectContext): Promise<BoxPx[]> {
    const every = context?.live ? (this.options.liveFullEvery ?? this.options.fullEvery) : this.options.fullEvery;
    if (!context || every <= 1) return this.inner.detect(frame);
    const known = this.streams.get(context.stream);
    const due = !known || this.isPassDue(known, context.seq, every);
    const state = known ?? { lastFullSeq: context.seq, tracks: [], passInFlight: false };
    this.remember(context.stream, state);
    if (due && !context.live) {
      state.lastFullSeq = context.seq; // frames detected alongside this one track instead of starting their own pass
      const boxes = await this.inner.detect(frame);
      state.tracks = boxes.map((box) => ({ box, misses: 0 }));
      return boxes;
    }
    if (due && !state.passInFlight) this.startBackgroundPass(frame, context, state);
    return this.track(frame, state);
  }

  dispose(): void {
    this.streams.clear();
    this.inner.dispose?.();
  }

  /** Looks for each known face near its last box; updates the tracks; returns this frame's faces. */
  private async track(frame: BgrFrame, state: StreamState): Promise<BoxPx[]> {
    const known = state.tracks;
    if (known.length === 0) return [];
    const found = await this.inner.detectNear(frame, known.map((t) => t.box), this.margin);
    const boxes: BoxPx[] = [];
    const tracks: Track[] = [];
    found.forEach((box, i) => {
      if (box && !boxes.some((b) => iou(b, box) > SAME_FACE_IOU)) {
        boxes.push(box);
        tracks.push({ box, misses: 0 });
      } else if (!box && known[i].misses < this.maxMisses) {
        tracks.push({ box: known[i].box, misses: known[i].misses + 1 });
      }
    });
    // Tracks a background pass added meanwhile are kept (they were not looked for on this frame).
    for (const t of state.tracks) if (!known.includes(t) && !tracks.some((k) => iou(k.box, t.box) > SAME_FACE_IOU)) tracks.push(t);
    state.tracks = tracks;
    return boxes.sort((a, b) => a.x - b.x || a.y - b.y);
  }

  private startBackgroundPass(frame: BgrFrame, context: DetectContext, state: StreamState): void {
    state.lastFullSeq = context.seq;
    state.passInFlight = true;
    // The frame's pixels go back to the frame store once this frame moves on: search a copy.
    const copy: BgrFrame = { ...frame, pixels: Buffer.from(frame.pixels) };
    this.inner.detect(copy)
      .then((boxes) => {
        if (this.streams.get(context.stream) !== state) return; // forgotten meanwhile
        // Tracks updated on later frames are fresher than the pass: only faces it found that no track covers join.
        const fresh = boxes.filter((box) => !state.tracks.some((t) => iou(t.box, box) > SAME_FACE_IOU));
        state.tracks = [...state.tracks, ...fresh.map((box) => ({ box, misses: 0 }))];
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
