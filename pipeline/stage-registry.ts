import type { OperatorFunction } from 'rxjs';
import type { StackConfig } from '../config/schema.ts';
import { EmotionStreamError } from '../common/errors.ts';
import type { FrameStore } from './frames/frame-store.ts';
import type { FaceDetector } from './detectors/face-detector.ts';
import type { EmotionClassifier } from './classifiers/emotion-classifier.ts';
import type { Logger } from './logger.ts';
import type { PipelineMsg } from './messages.ts';
import { STAGE_QUEUES, type StageQueue } from './runners/bus-envelope.ts';
import { detectFaces } from './stages/detect-faces.ts';
import { classifyEmotion } from './stages/classify-emotion.ts';
import { annotate } from './stages/annotate.ts';

/**
 * What a frame stage is built from. The embedded pipeline (compose.ts) and a stage worker
 * (services/workers/frame-stage-worker.ts) fill it in their own way; each stage takes what it
 * needs. `classifier` is read for every batch, so a worker may swap it (hot reload).
 */
export interface StageServices {
  frameStore: FrameStore;
  logger: Logger;
  /** Frames in hand at once (detect-faces searches that many in parallel). */
  concurrency: number;
  /** Most faces in one predict (classify-emotion). */
  maxBatchFaces: number;
  detector?: FaceDetector;
  classifier?: EmotionClassifier;
}

/** The model a stage needs loaded before it can run. */
export type StageModel = 'detector' | 'classifier';

/** One frame stage: its operator, and how it runs on its own on the bus. */
export interface FrameStage {
  /** The operator's name: its file in stages/, and `fault.stage` on the frames it faults. */
  name: 'detect-faces' | 'classify-emotion' | 'annotate';
  /** The worker that runs it (`emotion-stream worker <name>`), also the `stage` label of its metrics. */
  worker: 'detector' | 'classifier' | 'annotator';
  /** The queue its frames wait on when stages are joined by a bus. */
  queue: StageQueue;
  /** What it needs loaded (null: nothing). */
  needs: StageModel | null;
  /** It draws into the pixels, so a worker writes them back to the shared store. */
  writesPixels: boolean;
  /** Whether a stream's frames go through it (annotation only when someone wants the drawn frames). */
  wanted(stream: { annotate: boolean }): boolean;
  /** Frames one worker holds at once. */
  workerConcurrency(workers: StackConfig['workers']): number;
  operator(services: StageServices): OperatorFunction<PipelineMsg, PipelineMsg>;
}

/** The frame stages in flow order: capture feeds the first, the sinks take what the last emits. */
export const FRAME_STAGES: readonly FrameStage[] = [
  {
    name: 'detect-faces', worker: 'detector', queue: STAGE_QUEUES.detect, needs: 'detector', writesPixels: false,
    wanted: () => true,
    workerConcurrency: (w) => w.detectorConcurrency,
    operator: (s) => detectFaces({ detector: required(s.detector, 'detector', 'detect-faces'), frameStore: s.frameStore, concurrency: s.concurrency, logger: s.logger }),
  },
  {
    name: 'classify-emotion', worker: 'classifier', queue: STAGE_QUEUES.classify, needs: 'classifier', writesPixels: false,
    wanted: () => true,
    workerConcurrency: (w) => w.classifierConcurrency,
    operator: (s) => {
      required(s.classifier, 'classifier', 'classify-emotion');
      // A getter, not a copy: a worker that swaps `s.classifier` switches every later batch.
      return classifyEmotion({ get classifier() { return s.classifier as EmotionClassifier; }, frameStore: s.frameStore, maxBatchFaces: s.maxBatchFaces, logger: s.logger });
    },
  },
  {
    name: 'annotate', worker: 'annotator', queue: STAGE_QUEUES.annotate, needs: null, writesPixels: true,
    wanted: (stream) => stream.annotate,
    workerConcurrency: (w) => w.annotatorConcurrency,
    operator: (s) => annotate({ frameStore: s.frameStore, logger: s.logger }),
  },
];

/** The stages a stream's frames go through, in flow order. */
export function wantedStages(stream: { annotate: boolean }): FrameStage[] {
  return FRAME_STAGES.filter((s) => s.wanted(stream));
}

/** Where a frame goes after `stage`: the next stage the stream wants, else the sinks. */
export function nextQueue(stage: FrameStage, stream: { annotate: boolean }): StageQueue {
  const after = FRAME_STAGES.slice(FRAME_STAGES.indexOf(stage) + 1).find((s) => s.wanted(stream));
  return after?.queue ?? STAGE_QUEUES.sink;
}

/** The stage run by a worker of this name, if it is a frame stage. */
export function frameStageOfWorker(worker: string): FrameStage | undefined {
  return FRAME_STAGES.find((s) => s.worker === worker);
}

function required<T>(value: T | undefined, what: StageModel, stage: string): T {
  if (value === undefined) throw new EmotionStreamError('ERR_INTERNAL', `stage ${stage} was built without its ${what}`);
  return value;
}
