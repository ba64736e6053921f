import { runCapturePublisher, type BusRunSummary } from '../../pipeline/runners/capture-publisher.ts';
import { frameEncodingOf } from '../../pipeline/frames/frame-codec.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { probeVideo } from '../../pipeline/sources/probe-video.ts';
import { checkWebcamDevice } from '../../pipeline/sources/check-webcam-device.ts';
import { toVideoSource } from '../../pipeline/sources/to-video-source.ts';
import { describeSource } from '../../pipeline/sources/describe-source.ts';
import type { PipelineConfig } from '../../config/schema.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

export interface CaptureWorker extends RunningWorker {
  /** The broadcaster's summary once the stream is closed (a file's end, or stop()). */
  readonly done: Promise<BusRunSummary>;
}

/**
 * Fails fast on a source capture cannot open (no source, a missing file, a webcam device that is
 * missing or not a camera), before the bus is connected. RTSP streams may come up later, so they
 * are not probed.
 */
export async function checkCaptureSource(config: WorkerContext['config']): Promise<PipelineConfig> {
  if (!config.source) throw new EmotionStreamError('ERR_CONFIG', 'the capture worker needs a source: --file <video>, or source in the config file (file, webcam or rtsp)');
  const pipelineConfig = config as PipelineConfig;
  checkWebcamDevice(toVideoSource(pipelineConfig.source));
  if (pipelineConfig.source.type !== 'rtsp') await probeVideo(toVideoSource(pipelineConfig.source));
  return pipelineConfig;
}

/**
 * capture worker: one camera or file onto the bus. Files and webcams are probed first, so a wrong
 * path or a missing device fails at once with its one-line error.
 */
export async function startCapture({ config, bus, logger, metrics }: WorkerContext): Promise<CaptureWorker> {
  const pipelineConfig = await checkCaptureSource(config);
  const stop = new AbortController();
  const done = runCapturePublisher({
    bus, config: pipelineConfig, frameTtlMs: config.bus.frameTtlSeconds * 1000, frameEncoding: frameEncodingOf(config.bus), logger: logger.child({ stage: 'capture' }), signal: stop.signal,
    onDrop: (drop) => metrics.dropped(drop.cameraId),
    onPollError: () => metrics.pollError('capture'),
    streamStateTtlMs: config.bus.streamStateTtlSeconds * 1000,
  }).then((summary) => {
    if (!summary) throw new EmotionStreamError('ERR_SOURCE_UNREADABLE', `${describeSource(toVideoSource(pipelineConfig.source))}: capture ended before the stream started`);
    return summary;
  });
  return {
    stage: 'capture',
    done,
    async stop() {
      stop.abort();
      await done.catch(() => undefined);
    },
  };
}
