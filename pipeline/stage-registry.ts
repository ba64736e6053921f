import type { OperatorFunction } from 'rxjs';
import type { StackConfig, TrackingConfig } from '../config/schema.ts';
import { EmotionStreamError } from '../common/errors.ts';
import type { FrameStore } from './frames/frame-store.ts';
import type { FaceDetector } from './detectors/face-detector.ts';
import type { EmotionClassifier } from './classifiers/emotion-classifier.ts';
import type { TrackIdSource } from './tracking/face-tracker.ts';
import type { FaceEmbedder } from './tracking/face-embedder.ts';
import type { Logger } from './logger.ts';
import type { ClassificationsMsg, PipelineMsg } from './messages.ts';
import { STAGE_QUEUES, type StageQueue } from './runners/bus-envelope.ts';
import { detectFaces } from './stages/detect-faces.ts';
import { classifyEmotion } from './stages/classify-emotion.ts';
import { trackEmotions } from './stages/track-emotions.ts';
import { annotate } from './stages/annotate.ts';

/**
 * What a frame stage is built from. The embedded pipeline (compose.ts), a stage worker
 * (services/workers/frame-stage-worker.ts) and the sinks worker fill it in their own way; each
 * stage takes what it needs. `classifier` is read for every batch, so a worker may swap it.
 */
export interface StageServices {
  frameStore: FrameStore;
  logger: Logger;
  /** Frames in hand at once (detect-faces searches that many in parallel). */
  concurrency: number;
  /** Most faces in one predict (classify-emotion). */
  maxBatchFaces: number;
  tracking: TrackingConfig;
  detector?: FaceDetector;
  classifier?: EmotionClassifier;
  /** Where each camera's track ids come from (default: 1, 2, 3... per stream). */
  trackIds?: (cameraId: string) => TrackIdSource;
  /** Face embeddings for re-identification (track-emotions, when tracking.reid.enabled). */
  faceEmbedder?: FaceEmbedder;
  /** Whether a frame's stream wants it drawn (default: every frame); a sinks worker serves several streams. */
  drawn?: (msg: ClassificationsMsg) => boolean;
}

/** The model a stage needs loaded before it can run. */
export type StageModel = 'detector' | 'classifier';

/** What a stream asks of the stages: drawn frames (an annotated video), and tracks. */
export interface StreamWants {
  annotate: boolean;
  track: boolean;
}

/**
 * Where a stage runs when stages are joined by a bus: `queue` stages have workers of their own
 * (any number of copies, frames handled out of order); `ordered` stages need each stream's frames
 * in order and run in the sinks worker, after its per-stream resequencer.
 */
export type StagePlacement =
  | { kind: 'queue'; worker: 'detector' | 'classifier'; queue: StageQueue; concurrency: (workers: StackConfig['workers']) => number }
  | { kind: 'ordered' };

/** One frame stage of the pipeline. */
export interface FrameStage {
  /** The operator's name: its file in stages/, and `fault.stage` on the frames it faults. */
  name: 'detect-faces' | 'classify-emotion' | 'track-emotions' | 'annotate';
  /** The `stage` label of its metrics (the worker's name for queue stages). */
  label: string;
  placement: StagePlacement;
  /** What it needs loaded (null: nothing). */
  needs: StageModel | null;
  /** Whether a stream's frames go through it. */
  wanted(stream: StreamWants): boolean;
  operator(services: StageServices): OperatorFunction<PipelineMsg, PipelineMsg>;
}

/** The frame stages in flow order: capture feeds the first, the sinks take what the last emits. */
export const FRAME_STAGES: readonly FrameStage[] = [
  {
    name: 'detect-faces', label: 'detector', needs: 'detector', wanted: () => true,
    placement: { kind: 'queue', worker: 'detector', queue: STAGE_QUEUES.detect, concurrency: (w) => w.detectorConcurrency },
    operator: (s) => detectFaces({ detector: required(s.detector, 'detector', 'detect-faces'), frameStore: s.frameStore, concurrency: s.concurrency, logger: s.logger }),
  },
  {
    name: 'classify-emotion', label: 'classifier', needs: 'classifier', wanted: () => true,
    placement: { kind: 'queue', worker: 'classifier', queue: STAGE_QUEUES.classify, concurrency: (w) => w.classifierConcurrency },
    operator: (s) => {
      required(s.classifier, 'classifier', 'classify-emotion');
      // A getter, not a copy: a worker that swaps `s.classifier` switches every later batch.
      return classifyEmotion({ get classifier() { return s.classifier as EmotionClassifier; }, frameStore: s.frameStore, maxBatchFaces: s.maxBatchFaces, logger: s.logger });
    },
  },
  {
    name: 'track-emotions', label: 'tracker', needs: null, placement: { kind: 'ordered' },
    wanted: (stream) => stream.track,
    operator: (s) => trackEmotions({
      config: s.tracking, trackIds: s.trackIds, logger: s.logger,
      reid: s.faceEmbedder && { embedder: s.faceEmbedder, frameStore: s.frameStore },
    }),
  },
  {
    // Ordered: it draws the stable label and the track's colour, which need the tracker's view.
    name: 'annotate', label: 'annotator', needs: null, placement: { kind: 'ordered' },
    wanted: (stream) => stream.annotate,
    operator: (s) => annotate({ frameStore: s.frameStore, logger: s.logger, drawn: s.drawn }),
  },
];

/** A stage with workers of its own on a bus. */
export type QueueStage = FrameStage & { placement: Extract<StagePlacement, { kind: 'queue' }> };

/** The stages a stream's frames go through, in flow order. */
export function wantedStages(stream: StreamWants): FrameStage[] {
  return FRAME_STAGES.filter((s) => s.wanted(stream));
}

/** The stages with workers of their own on a bus, in flow order. */
export function queueStages(): QueueStage[] {
  return FRAME_STAGES.filter((s): s is QueueStage => s.placement.kind === 'queue');
}

/** The stages the sinks worker runs after its resequencer, in flow order. */
export function orderedStages(stream: StreamWants): FrameStage[] {
  return wantedStages(stream).filter((s) => s.placement.kind === 'ordered');
}

/** Where a frame goes after the queue stage `stage`: the next queue stage, else the sinks. */
export function nextQueue(stage: FrameStage): StageQueue {
  const after = FRAME_STAGES.slice(FRAME_STAGES.indexOf(stage) + 1).find((s) => s.placement.kind === 'queue');
  return after?.placement.kind === 'queue' ? after.placement.queue : STAGE_QUEUES.sink;
}

/** The queue stage run by a worker of this name. */
export function frameStageOfWorker(worker: string): QueueStage | undefined {
  return queueStages().find((s) => s.placement.worker === worker);
}

function required<T>(value: T | undefined, what: StageModel, stage: string): T {
  if (value === undefined) throw new EmotionStreamError('ERR_INTERNAL', `stage ${stage} was built without its ${what}`);
  return value;
}
