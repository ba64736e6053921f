import { defer, finalize, lastValueFrom, tap, type Observable } from 'rxjs';
import type { PipelineConfig } from '../config/schema.ts';
import { InMemoryFrameStore, type FrameStore } from './frames/frame-store.ts';
import { FlowGate } from './flow/flow-gate.ts';
import { captureFfmpeg, type CaptureDrop } from './sources/capture-ffmpeg.ts';
import type { VideoInfo } from './sources/probe-video.ts';
import { superviseCapture } from './sources/supervise-capture.ts';
import type { CameraStateChange } from './cameras/camera-types.ts';
import { wantedStages, type StageServices } from './stage-registry.ts';
import { observeStage } from './observe/observe-stage.ts';
import { WorkerMetrics } from './observe/worker-metrics.ts';
import { emitEvents, type EmitEventsStats } from './stages/emit-events.ts';
import { writeVideo, type VideoSink } from './stages/write-video.ts';
import { releaseFrames } from './stages/release-frames.ts';
import { AnnotatedVideoWriter } from './sinks/annotated-video-writer.ts';
import type { EventSink } from './events/event-sink.ts';
import type { FaceDetector } from './detectors/face-detector.ts';
import type { EmotionClassifier } from './classifiers/emotion-classifier.ts';
import type { FaceEmbedder } from './tracking/face-embedder.ts';
import { toVideoSource } from './sources/to-video-source.ts';
import type { ClassificationsMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from './messages.ts';
import { silentLogger, type Logger } from './logger.ts';
import { RunStats, type RunSummary } from './run-stats.ts';

export interface PipelineDeps {
  detector: FaceDetector;
  classifier: EmotionClassifier;
  /** Face embeddings for re-identification: needed when tracking.reid.enabled. */
  faceEmbedder?: FaceEmbedder;
  /** Event sinks (JSONL file, WebSocket broadcaster, ...): every event goes to each. */
  sinks: EventSink[];
  logger?: Logger;
  /** Called for every processed frame (progress bars, tests). */
  onFrame?: (msg: ClassificationsMsg) => void;
  onStart?: (msg: StreamStartMsg) => void;
  onDrop?: (drop: CaptureDrop) => void;
  /** RTSP sources: every state change of the supervised camera (connecting, live, reconnecting, ...). */
  onCameraState?: (change: CameraStateChange) => void;
  /** The source as the caller probed it (files and webcams): capture does not probe it again. */
  probedSource?: VideoInfo;
  /** Where frame pixels wait between stages (default: a new in-memory store for this run). */
  frameStore?: FrameStore;
  /**
   * Stage metrics (frames in/out, latency, faults per stage), labelled as the bus workers label
   * theirs (detector, classifier, tracker, annotator); default: a registry of this run's own.
   */
  metrics?: WorkerMetrics;
}

export interface PipelineRun {
  /** Resolves when the stream has ended and every output is complete. */
  done: Promise<RunSummary>;
  /** Stops capture gracefully: in-flight frames finish, outputs are closed, stream-end says 'stopped'. */
  stop(): void;
  /** The run's frame store and flow gate, for monitoring: both are empty once `done` resolves. */
  readonly frameStore: FrameStore;
  readonly gate: FlowGate;
  /** Every stage's metrics for this run (serve them with startMetricsServer). */
  readonly metrics: WorkerMetrics;
}

/**
 * The embedded pipeline: capture -> the registry's frame stages (detect-faces -> classify-emotion
 * -> track-emotions -> annotate, each observed for metrics) -> emit-events -> write-video -> release-frames, one
 * RxJS chain in one process. Frames are held once in an
 * in-memory frame store; a flow gate of `maxInFlight` credits bounds memory and gives replay
 * its no-drop backpressure (capture waits) and live sources their drop-oldest policy.
 */
export function runPipeline(config: PipelineConfig, deps: PipelineDeps): PipelineRun {
  const logger = (deps.logger ?? silentLogger()).child({ camera: config.cameraId });
  const frameStore = deps.frameStore ?? new InMemoryFrameStore();
  const gate = new FlowGate(config.maxInFlight);
  const stop = new AbortController();
  const stats = new RunStats();
  const eventStats: EmitEventsStats = { events: 0, conversionErrors: 0, sinkErrors: {} };
  const source = toVideoSource(config.source);
  const mode = config.mode ?? (source.type === 'file' ? 'replay' : 'live');
  const captureOptions = {
    source, cameraId: config.cameraId, frameStore, gate, mode, realtime: config.realtime, resize: config.resize, logger, signal: stop.signal, probed: source.type === 'rtsp' ? undefined : deps.probedSource,
    onDrop: (d: CaptureDrop) => { stats.dropped(); deps.onDrop?.(d); },
  };
  // An RTSP stream that drops, stalls or is not up yet is reconnected with backoff instead of ending the run.
  const capture = source.type === 'rtsp'
    ? superviseCapture({ ...captureOptions, reconnect: config.reconnect, onState: deps.onCameraState })
    : captureFfmpeg(captureOptions);
  const metrics = deps.metrics ?? new WorkerMetrics({ service: 'pipeline', defaultMetrics: false, logger });
  const services: StageServices = {
    frameStore, logger, detector: deps.detector, classifier: deps.classifier, faceEmbedder: deps.faceEmbedder,
    concurrency: config.detector.concurrency, maxBatchFaces: config.classifier.maxBatchFaces, tracking: config.tracking,
  };
  // The registry's frame stages in flow order; annotation only when someone will see the frames.
  const wants = { annotate: Boolean(config.output.annotatedVideo), track: config.tracking.enabled };
  const analysed = wantedStages(wants).reduce<Observable<PipelineMsg>>(
    (stream, stage) => stream.pipe(observeStage(stage.label, stage.operator(services), metrics, { faultStage: stage.name })),
    capture,
  );
  const graph: Observable<PipelineMsg> = analysed.pipe(
    emitEvents({ sinks: deps.sinks, logger, stats: eventStats }),
    writeVideo({
      frameStore, logger,
      open: (start) => openVideo(config.output.annotatedVideo, start, logger),
      // Without an output file there is nothing to count: videoFrames stays null in the summary.
      onClosed: (_, frames) => { if (config.output.annotatedVideo) stats.videoFrames(frames); },
    }),
    tap((msg) => observe(msg, stats, deps)),
    releaseFrames({ frameStore, gate }),
  );
  const done = lastValueFrom(defer(() => graph).pipe(finalize(() => logger.debug('pipeline finished'))), { defaultValue: undefined })
    .then(() => stats.summary(eventStats));
  return { done, stop: () => stop.abort(), frameStore, gate, metrics };
}

function observe(msg: PipelineMsg, stats: RunStats, deps: PipelineDeps): void {
  if (msg.kind === 'stream-start') { stats.start(msg); deps.onStart?.(msg); }
  if (msg.kind === 'classifications') { stats.frame(msg); deps.onFrame?.(msg); }
  if (msg.kind === 'stream-end') stats.end(msg as StreamEndMsg);
}

/** No annotated output configured: no video sink (annotate is skipped then too). */
async function openVideo(path: string | undefined, start: StreamStartMsg, logger: Logger): Promise<VideoSink | null> {
  if (!path) return null;
  return AnnotatedVideoWriter.open({ outPath: path, width: start.width, height: start.height, fps: start.fps, logger });
}
