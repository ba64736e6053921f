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
}

export interface ClassifiedFace extends DetectedFace {
  label: Emotion;
  /** Probability of `label`, 0..1. */
  confidence: number;
  scores: EmotionScores;
}

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

export interface StreamEndMsg {
  kind: 'stream-end';
  v: 1;
  cameraId: string;
  /** Frames emitted by capture. */
  frames: number;
  reason: 'eof' | 'error' | 'stopped';
  error?: { code: string; message: string };
  endedAt: number;
}

export type FrameStageMsg = FrameMsg | DetectionsMsg | ClassificationsMsg;
export type ControlMsg = StreamStartMsg | StreamEndMsg;
/** Everything that travels along the pipeline. Stages pass kinds they do not handle through unchanged. */
export type PipelineMsg = FrameStageMsg | ControlMsg;

export function isFrameStageMsg(msg: PipelineMsg): msg is FrameStageMsg {
  return msg.kind === 'frame' || msg.kind === 'detections' || msg.kind === 'classifications';
}
