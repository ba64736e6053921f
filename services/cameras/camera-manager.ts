import type { StackConfig, CameraConfig } from '../../config/schema.ts';
import { loadPipelineConfig } from '../../config/load.ts';
import { runCapturePublisher } from '../../pipeline/runners/capture-publisher.ts';
import { TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import type { Bus } from '../../pipeline/bus/transport.ts';
import { EmotionStreamError, errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import { cameraStateEvent, type WireEvent } from '../../pipeline/events/wire-event.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { WorkerMetrics } from '../../pipeline/observe/worker-metrics.ts';
import { superviseCapture } from '../../pipeline/sources/supervise-capture.ts';
import { toVideoSource } from '../../pipeline/sources/to-video-source.ts';
import { CameraStats } from './camera-stats.ts';
import { redactSource } from './redact-source.ts';
import type { CameraController, CameraError, CameraSpec, CameraState, CameraStateChange, CameraStatus } from '../../pipeline/cameras/camera-types.ts';

export interface CameraManagerOptions {
  bus: Bus;
  config: StackConfig;
  logger: Logger;
  metrics: WorkerMetrics;
}

interface ManagedCamera {
  spec: CameraSpec;
  state: CameraState;
  since: number;
  attempt: number;
  reconnects: number;
  lastError: CameraError | null;
  stats: CameraStats;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * Runs cameras onto the bus, each on its own: a live camera (webcam, RTSP) is supervised
 * (reconnects with backoff and jitter, stall detection), a file is replayed once. A camera that
 * fails is a camera in state error with its reason; it never disturbs the others or the process.
 * State changes go out as `camera-state` events; frame events coming back on the bus give each
 * camera's processed rate and capture-to-event latency.
 */
export class CameraManager implements CameraController {
  private readonly cameras = new Map<string, ManagedCamera>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: CameraManagerOptions) {}

  async start(): Promise<this> {
    this.unsubscribe = await this.options.bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
      if (event.type === 'frame') this.cameras.get(event.cameraId)?.stats.processed(event.capturedAt);
    });
    for (const camera of this.options.config.cameras) await this.add(camera);
    return this;
  }

  list(): CameraStatus[] {
    return [...this.cameras.keys()].map((id) => this.get(id)!);
  }

  get(id: string): CameraStatus | undefined {
    const c = this.cameras.get(id);
    if (!c) return undefined;
    return {
      id, source: redactSource(c.spec.source), state: c.state, since: c.since, inputFps: c.stats.inputFps, processedFps: c.stats.processedFps,
      frames: c.stats.frames, dropped: c.stats.dropped, reconnects: c.reconnects, lastError: c.lastError, latencyMs: c.stats.latency(),
    };
  }

  async add(spec: CameraSpec | CameraConfig): Promise<CameraStatus> {
    if (this.cameras.has(spec.id)) throw new EmotionStreamError('ERR_CONFLICT', `camera "${spec.id}" already exists`, { context: { cameraId: spec.id } });
    const config = this.pipelineConfigFor(spec);
    const camera: ManagedCamera = {
      spec, state: 'connecting', since: Date.now(), attempt: 1, reconnects: 0, lastError: null, stats: new CameraStats(), stop: new AbortController(), done: Promise.resolve(),
    };
    this.cameras.set(spec.id, camera);
    this.publishState(camera, { cameraId: spec.id, state: 'connecting', previous: 'stopped', at: camera.since, attempt: 1 });
    camera.done = this.run(camera, config);
    return this.get(spec.id)!;
  }

  async remove(id: string): Promise<boolean> {
    const camera = this.cameras.get(id);
    if (!camera) return false;
    camera.stop.abort();
    await camera.done;
    this.cameras.delete(id);
    return true;
  }

  /** Stops every camera (each stream ends 'stopped') and the event subscription. */
  async stop(): Promise<void> {
    await Promise.all([...this.cameras.keys()].map((id) => this.remove(id)));
    await this.unsubscribe?.();
  }

  private pipelineConfigFor(spec: CameraSpec | CameraConfig) {
    const { config } = this.options;
    return loadPipelineConfig({
      overrides: {
        cameraId: spec.id, source: spec.source, mode: spec.mode, realtime: spec.realtime, resize: spec.resize,
        maxInFlight: config.maxInFlight, detector: config.detector, classifier: config.classifier, logLevel: config.logLevel,
      },
    });
  }

  private async run(camera: ManagedCamera, config: ReturnType<CameraManager['pipelineConfigFor']>): Promise<void> {
    const { bus, logger, metrics } = this.options;
    const log = logger.child({ camera: camera.spec.id });
    const source = toVideoSource(config.source);
    const live = (config.mode ?? (source.type === 'file' ? 'replay' : 'live')) === 'live';
    try {
      await runCapturePublisher({
        bus, config, frameTtlMs: this.options.config.bus.frameTtlSeconds * 1000, logger: log, signal: camera.stop.signal,
        // A dropped frame was decoded all the same: it counts towards the input rate.
        onDrop: (drop) => { camera.stats.dropped += 1; camera.stats.input(); metrics.dropped(drop.cameraId); },
        onPublished: (msg) => {
          if (msg.kind === 'frame') camera.stats.input();
          // Files are not supervised: their stream-start is the moment they go live.
          if (!live && msg.kind === 'stream-start') this.setState(camera, 'live');
        },
        capture: live ? (io) => superviseCapture({
          ...io, source, cameraId: config.cameraId, mode: 'live', resize: config.resize,
          reconnect: this.options.config.reconnect, onState: (change) => this.onSupervisorState(camera, change),
        }) : undefined,
      });
      // A supervised camera that gave up (a missing webcam) stays in error with its reason.
      if (camera.state !== 'error') this.setState(camera, 'stopped');
    } catch (err) {
      // Only a file camera gets here (supervised cameras report failures as states).
      camera.lastError = { code: isEmotionStreamError(err) ? err.code : 'ERR_SOURCE_UNREADABLE', message: errorMessage(err), at: Date.now() };
      log.warn({ err: camera.lastError }, 'camera failed');
      this.setState(camera, 'error', camera.lastError);
    }
  }

  private onSupervisorState(camera: ManagedCamera, change: CameraStateChange): void {
    if (change.error) camera.lastError = { ...change.error, at: change.at };
    if (change.state === 'connecting' && change.attempt > 1) camera.reconnects += 1;
    camera.attempt = change.attempt;
    camera.state = change.state;
    camera.since = change.at;
    this.publishState(camera, change);
  }

  private setState(camera: ManagedCamera, state: CameraState, error?: CameraError): void {
    if (camera.state === state) return;
    const change: CameraStateChange = { cameraId: camera.spec.id, state, previous: camera.state, at: Date.now(), attempt: camera.attempt, ...(error ? { error: { code: error.code, message: error.message } } : {}) };
    camera.state = state;
    camera.since = change.at;
    this.publishState(camera, change);
  }

  private publishState(camera: ManagedCamera, change: CameraStateChange): void {
    const level = change.state === 'error' || change.state === 'stalled' ? 'warn' : 'info';
    this.options.logger[level]({ camera: change.cameraId, state: change.state, previous: change.previous, attempt: change.attempt, error: change.error, retryInMs: change.retryInMs }, 'camera state');
    void this.options.bus.topic<WireEvent>(TOPICS.events).publish(cameraStateEvent(change))
      .catch((err: unknown) => this.options.logger.warn({ err, camera: camera.spec.id }, 'camera state not published'));
  }
}
