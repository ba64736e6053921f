import type { PipelineConfig } from '../config/schema.ts';
import type { Logger } from '../pipeline/logger.ts';
import { runPipeline, type PipelineDeps } from '../pipeline/compose.ts';
import type { RunSummary } from '../pipeline/run-stats.ts';
import { probeVideo, type VideoInfo } from '../pipeline/sources/probe-video.ts';
import { loadHaarCascadeDetector } from '../pipeline/detectors/haar-cascade-detector.ts';
import { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { JsonlWriter } from '../pipeline/sinks/jsonl-writer.ts';
import { WebSocketBroadcaster } from '../pipeline/sinks/websocket-broadcaster.ts';
import type { EventSink } from '../pipeline/events/event-sink.ts';
import { initBackend } from '../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../training/registry/model-registry.ts';
import type { VideoSource } from '../pipeline/sources/video-source.ts';

export interface ServiceHooks {
  logger: Logger;
  onFrame?: PipelineDeps['onFrame'];
  /** Called once the source is probed and every component is loaded, before the first frame. */
  onReady?: (info: { video: VideoInfo | null; wsPort: number | null; modelVersion: string; backend: string }) => void;
}

/**
 * Runs one camera or file through the embedded pipeline as a service: checks the source first
 * (a wrong path fails in milliseconds, before any model loads), loads detector, classifier and
 * sinks, runs until the stream ends or SIGINT/SIGTERM arrives (then drains: in-flight frames
 * finish, files are closed), and releases everything.
 */
export async function runPipelineService(config: PipelineConfig, hooks: ServiceHooks): Promise<RunSummary> {
  const { logger } = hooks;
  // Files and webcams are checked before any model loads, so a wrong path or a missing device
  // fails at once; an RTSP stream may come up later (capture reconnects).
  const video = config.source.type !== 'rtsp' ? await probeVideo(config.source as VideoSource) : null;
  const backend = await initBackend(config.classifier.backend);
  const classifier = await TfjsEmotionClassifier.load(resolveModelDir(config.classifier.modelDir ?? shippedModelFamily()));
  const detector = await loadHaarCascadeDetector(config.detector);
  const sinks: EventSink[] = [];
  let broadcaster: WebSocketBroadcaster | null = null;
  try {
    if (config.output.eventsJsonl) sinks.push(await JsonlWriter.open(config.output.eventsJsonl, { logger }));
    let wsPort: number | null = null;
    if (config.output.websocket) {
      broadcaster = new WebSocketBroadcaster({ logger });
      wsPort = (await broadcaster.start(config.output.websocket)).port;
      sinks.push(broadcaster);
    }
    logger.info({ model: classifier.version, backend, detector: detector.name, wsPort, source: config.source }, 'pipeline ready');
    hooks.onReady?.({ video, wsPort, modelVersion: classifier.version, backend });
    const run = runPipeline(config, { detector, classifier, sinks, logger, onFrame: hooks.onFrame });
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
    for (const sink of sinks) if (sink instanceof JsonlWriter) await sink.close();
    await broadcaster?.stop();
    detector.dispose?.();
    classifier.dispose();
  }
}
