import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PipelineConfig } from '../config/schema.ts';
import { EmotionStreamError } from '../common/errors.ts';
import type { Logger } from '../pipeline/logger.ts';
import { runPipeline, type PipelineDeps } from '../pipeline/compose.ts';
import type { RunSummary } from '../pipeline/run-stats.ts';
import { probeVideo, type VideoInfo } from '../pipeline/sources/probe-video.ts';
import { loadFaceDetector } from '../pipeline/detectors/load-face-detector.ts';
import { loadEmotionClassifier } from '../pipeline/classifiers/load-emotion-classifier.ts';
import { JsonlWriter } from '../pipeline/sinks/jsonl-writer.ts';
import { WebSocketBroadcaster } from '../pipeline/sinks/websocket-broadcaster.ts';
import { MqttPublisher } from '../pipeline/sinks/mqtt-publisher.ts';
import type { EventSink } from '../pipeline/events/event-sink.ts';
import type { FaceDetector } from '../pipeline/detectors/face-detector.ts';
import type { EmotionClassifier } from '../pipeline/classifiers/emotion-classifier.ts';
import type { FaceEmbedder } from '../pipeline/tracking/face-embedder.ts';
import { loadReidEmbedder } from '../pipeline/tracking/load-reid-embedder.ts';
import { toVideoSource } from '../pipeline/sources/to-video-source.ts';
import { ffmpegBinary } from '../pipeline/sources/ffmpeg-binary.ts';
import { warmFfmpegCapabilities } from '../pipeline/sources/fluent-command.ts';
import { cameraStateEvent } from '../pipeline/events/wire-event.ts';

export interface ServiceHooks {
  logger: Logger;
  onFrame?: PipelineDeps['onFrame'];
  /** Called once the source is probed and every component is loaded, before the first frame. */
  onReady?: (info: { video: VideoInfo | null; wsPort: number | null; modelVersion: string; backend: string }) => void;
}

/**
 * Runs one camera or file through the embedded pipeline as a service: checks the source and the
 * outputs first (a wrong path, a missing device or an unwritable folder fails in milliseconds,
 * before the classifier loads; the detector's cascade check has started beside), loads classifier
 * and detector, runs until the stream ends or SIGINT/SIGTERM arrives (then drains: in-flight frames finish, files are closed), and releases
 * everything it opened, whichever step failed.
 */
export async function runPipelineService(config: PipelineConfig, hooks: ServiceHooks): Promise<RunSummary> {
  const { logger } = hooks;
  // The detector's cascade check runs OpenCV in a child process (0.5-1.4 s, the first time a
  // cascade file is seen): it goes on beside the probe and the classifier's loading on this thread. One that loads after a step failed is released.
  const detectorLoading = loadFaceDetector(config.detector, logger, config.tracking);
  detectorLoading.catch(() => undefined);
  // ffmpeg's capability queries (fluent-ffmpeg runs them before its first command) run beside too.
  const ffmpegWarm = warmFfmpegCapabilities(ffmpegBinary('ffmpeg'));
  const opened: Opened = { sinks: [] };
  try {
    // An RTSP stream may come up later (capture reconnects), so only files and webcams are probed here.
    const video = config.source.type !== 'rtsp' ? await probeVideo(toVideoSource(config.source)) : null;
    checkOutputDir(config.output.annotatedVideo);
    const wsPort = await openEventSinks(config, logger, opened);
    const { classifier, backend } = await loadEmotionClassifier(config.classifier);
    opened.classifier = classifier;
    const detector = (opened.detector = await detectorLoading);
    const faceEmbedder = (opened.faceEmbedder = await loadReidEmbedder(config.tracking, config.classifier.backend));
    await ffmpegWarm;
    logger.info({ model: classifier.version, backend, detector: detector.name, wsPort, source: config.source }, 'pipeline ready');
    hooks.onReady?.({ video, wsPort, modelVersion: classifier.version, backend });
    const run = runPipeline(config, {
      detector, classifier, faceEmbedder, sinks: opened.sinks, logger, onFrame: hooks.onFrame, probedSource: video ?? undefined,
      // A reconnecting RTSP camera: its states go to the log and, as camera-state events, to every sink.
      onCameraState: (change) => {
        logger[change.state === 'error' || change.state === 'stalled' || change.state === 'reconnecting' ? 'warn' : 'info']({ ...change }, 'camera state');
        for (const sink of opened.sinks) void Promise.resolve(sink.handle(cameraStateEvent(change))).catch((err: unknown) => logger.debug({ err }, 'camera state not delivered'));
      },
    });
    const stop = (signal: string) => { logger.info({ signal }, 'stopping: draining in-flight frames'); run.stop(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      return await run.done;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    if (!opened.detector) void detectorLoading.then((detector) => detector.dispose?.(), () => undefined);
    await release(opened);
  }
}

/** What the service has opened so far, so a failure at any step releases exactly that. */
interface Opened {
  sinks: EventSink[];
  broadcaster?: WebSocketBroadcaster;
  mqtt?: MqttPublisher;
  classifier?: EmotionClassifier;
  detector?: FaceDetector;
  faceEmbedder?: FaceEmbedder;
}

/**
 * Opens the JSONL file, starts connecting to the MQTT broker (never waited for: a broker that is
 * down must not hold up the other outputs) and starts the WebSocket server; returns the port bound, or null.
 */
async function openEventSinks(config: PipelineConfig, logger: Logger, opened: Opened): Promise<number | null> {
  if (config.output.eventsJsonl) opened.sinks.push(await JsonlWriter.open(config.output.eventsJsonl, { logger }));
  if (config.mqtt) opened.sinks.push((opened.mqtt = await MqttPublisher.open(config.mqtt, { logger })));
  if (!config.output.websocket) return null;
  const broadcaster = (opened.broadcaster = new WebSocketBroadcaster({ logger }));
  const { port } = await broadcaster.start(config.output.websocket);
  opened.sinks.push(broadcaster);
  return port;
}

async function release(opened: Opened): Promise<void> {
  try {
    for (const sink of opened.sinks) if (sink instanceof JsonlWriter) await sink.close();
  } finally {
    await opened.mqtt?.close();
    await opened.broadcaster?.stop();
    opened.detector?.dispose?.();
    opened.faceEmbedder?.dispose?.();
    opened.classifier?.dispose();
  }
}

/** The annotated video is opened at the first frame; its folder is checked now, before the model loads. */
function checkOutputDir(path: string | undefined): void {
  if (!path) return;
  const dir = dirname(path);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EmotionStreamError('ERR_SINK', `output directory does not exist: ${dir} (for ${path})`, { context: { path } });
  }
}
