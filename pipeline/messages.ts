/**
 * Typed messages that flow between stages. Every message has a `kind` discriminant and a
 * schema version `v`. Frame pixels never ride on a message: `frameKey` references the
 * frame store (pipeline/frames), so only a key crosses a queue.
 */

/** The seven FER2013 classes, in the order the model outputs them (alphabetical, as Keras' flow_from_directory). */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'] as const;
export type Emotion = (typeof EMOTIONS)[number];
export type EmotionScores = Record<Emotion, number>;

/** A box in frame pixels: (x, y) is the top-left corner; integers, inside the frame. */
export interface BoxPx {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Identity and timing of one decoded frame. */
export interface FrameMeta {
  cameraId: string;
  /** 0-based index of the frame within its stream. */
  seq: number;
  /** Presentation time within the source, milliseconds from its first frame. */
  ptsMs: number;
  /** Wall-clock time the frame left the decoder, epoch milliseconds. */
  capturedAt: number;
  width: number;
  height: number;
  /** Key of the frame's BGR24 pixels in the frame store. */
  frameKey: string;
  /** Set on frames of a live source (camera): stages may then favour latency over reproducibility. */
  live?: true;
}

/** An error that rode on a message instead of failing the stream (one bad frame never stops a camera). */
export interface StageFault {
  stage: string;
  code: string;
  message: string;
}

export interface DetectedFace {
  boxPx: BoxPx;
  /**
   * How sure the detector is, 0..1, when it says: a whole-frame search's faces score 1, a face
   * found only by searching near a known one scores lower (the tracker matches those second).
   */
  score?: number;
}

/** A track's emotion over time: class probabilities averaged per track, with hysteresis on the label. */
export interface StableEmotion {
  label: Emotion;
  /** Smoothed probability of `label`, 0..1. */
  confidence: number;
  scores: EmotionScores;
}

export interface ClassifiedFace extends DetectedFace {
  /** This frame's own label (raw, per frame). */
  label: Emotion;
  /** Probability of `label`, 0..1. */
  confidence: number;
  scores: EmotionScores;
  /** The person's id within the stream (track-emotions); ids are never reused within a stream. */
  trackId?: number;
  /**
   * With re-identification on (tracking.reid): who the track is. A new person's id is their first
   * track's id; a person who left and came back keeps it on their new track.
   */
  personId?: number;
  /** The track's smoothed emotion up to this frame (track-emotions). */
  stable?: StableEmotion;
}

/** A new track recognised as a person who left: whose track they left on and how alike the faces were. */
export interface Reidentification {
  fromTrackId: number;
  /** Cosine similarity of the face embeddings, -1..1. */
  similarity: number;
}

/** A person appeared: the first frame of a track. Times are the stream's presentation time (ms). */
export interface TrackStartEvent {
  type: 'track-start';
  trackId: number;
  atMs: number;
  boxPx: BoxPx;
  /** With re-identification on: the person (see ClassifiedFace.personId). */
  personId?: number;
  /** Set when the person was seen before, on an earlier track. */
  reidentified?: Reidentification;
}

/** A track's stable emotion changed (after hysteresis). */
export interface EmotionChangeEvent {
  type: 'emotion-change';
  trackId: number;
  from: Emotion;
  to: Emotion;
  atMs: number;
  /** Smoothed probability of `to`, 0..1. */
  confidence: number;
}

/** A person left (unseen for longer than the tracker waits) or the stream ended: the track's summary. */
export interface TrackEndEvent {
  type: 'track-end';
  trackId: number;
  /** With re-identification on: the person (see ClassifiedFace.personId). */
  personId?: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Frames the person was detected on. */
  frames: number;
  /** Share of the track's time spent in each stable emotion, 0..1, summing to 1. */
  share: EmotionScores;
  /** The stable emotion held longest. */
  dominant: Emotion;
  /** Mean stable confidence over the track's frames, 0..1. */
  meanConfidence: number;
}

export type TrackEvent = TrackStartEvent | EmotionChangeEvent | TrackEndEvent;

/** Per-stage processing time in milliseconds, filled in as the frame moves on. */
export type StageTimings = Partial<Record<'detect' | 'classify' | 'annotate', number>>;

export interface FrameMsg {
  kind: 'frame';
  v: 1;
  meta: FrameMeta;
  timings: StageTimings;
  fault?: StageFault;
}

export interface DetectionsMsg {
  kind: 'detections';
  v: 1;
  meta: FrameMeta;
  faces: DetectedFace[];
  timings: StageTimings;
  fault?: StageFault;
}

export interface ClassificationsMsg {
  kind: 'classifications';
  v: 1;
  meta: FrameMeta;
  faces: ClassifiedFace[];
  modelVersion: string;
  timings: StageTimings;
  fault?: StageFault;
  /** True once annotate has drawn boxes and labels into the stored frame. */
  annotated?: boolean;
  /** Tracks that started or ended, and stable emotions that changed, on this frame (track-emotions). */
  trackEvents?: TrackEvent[];
}

export interface StreamStartMsg {
  kind: 'stream-start';
  v: 1;
  cameraId: string;
  /** What was opened, e.g. a file path, an RTSP URL without credentials, or a device. */
  source: string;
  width: number;
  height: number;
  /** Nominal frame rate of the source (frames per second). */
  fps: number;
  startedAt: number;
}

/**
 * How intact the decoded source was: what capture saw go missing before any stage ran. A damaged
 * file still ends 'eof' with every frame ffmpeg could decode; this says what it could not.
 */
export interface StreamIntegrity {
  /** ffmpeg's error lines while decoding (one damaged packet typically prints 2-4), plus its error-concealment notices. */
  decodeErrors: number;
  /** Steps in presentation time longer than 1.5 nominal frame intervals. */
  ptsGaps: number;
  /** Frames estimated missing in those gaps: round(gap / interval) - 1 each. */
  framesMissing: number;
}

export interface StreamEndMsg {
  kind: 'stream-end';
  v: 1;
  cameraId: string;
  /** Frames emitted by capture. */
  frames: number;
  reason: 'eof' | 'error' | 'stopped';
  error?: { code: string; message: string };
  endedAt: number;
  /** Set by capture: decode errors and presentation-time gaps seen in the source. */
  integrity?: StreamIntegrity;
  /** The tracks still open when the stream ended, ended with it (track-emotions). */
  trackEvents?: TrackEndEvent[];
}

export type FrameStageMsg = FrameMsg | DetectionsMsg | ClassificationsMsg;
export type ControlMsg = StreamStartMsg | StreamEndMsg;
/** Everything that travels along the pipeline. Stages pass kinds they do not handle through unchanged. */
export type PipelineMsg = FrameStageMsg | ControlMsg;

export function isFrameStageMsg(msg: PipelineMsg): msg is FrameStageMsg {
  return msg.kind === 'frame' || msg.kind === 'detections' || msg.kind === 'classifications';
}
