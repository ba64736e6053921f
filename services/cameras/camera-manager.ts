import type { StackConfig, CameraConfig } from '../../config/schema.ts';
import { loadPipelineConfig } from '../../config/load.ts';
import { runCapturePublisher } from '../../pipeline/runners/capture-publisher.ts';
import { frameEncodingOf } from '../../pipeline/frames/frame-codec.ts';
import { TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import type { Bus } from '../../pipeline/bus/transport.ts';
import { EmotionStreamError, errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import { cameraStateEvent, type WireEvent } from '../../pipeline/events/wire-event.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { WorkerMetrics } from '../../pipeline/observe/worker-metrics.ts';
import { superviseCapture } from '../../pipeline/sources/supervise-capture.ts';
import { toVideoSource } from '../../pipeline/sources/to-video-source.ts';
import { checkWebcamDevice } from '../../pipeline/sources/check-webcam-device.ts';
import type { FlowGate } from '../../pipeline/flow/flow-gate.ts';
import { CameraStats } from './camera-stats.ts';
import { redactSource } from './redact-source.ts';
import type { CameraController, CameraError, CameraSpec, CameraState, CameraStateChange, CameraStatus } from '../../pipeline/cameras/camera-types.ts';

export interface CameraManagerOptions {
  bus: Bus;
  config: StackConfig;
  logger: Logger;
  metrics: WorkerMetrics;
  /** How long a removed camera waits for its frames on the bus to be finished before it is forgotten anyway (ms; default STOP_DRAIN_TIMEOUT_MS, 30 s). */
  drainTimeoutMs?: number;
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
  /** The capture's flow gate once it runs: frames in flight. */
  gate?: Pick<FlowGate, 'inFlight'>;
  /** Set when removal is asked for: the camera drains, then is forgotten. */
  removing?: { since: number };
  /** Capture (and its drain) is over. */
  settled: boolean;
}

/**
 * Runs cameras onto the bus, each on its own: a live camera (webcam, RTSP) is supervised
 * (reconnects with backoff and jitter, stall detection), a file is replayed once. A camera that
 * fails is a camera in state error with its reason; it never disturbs the others or the process.
 * State changes go out as `camera-state` events; frame events coming back on the bus give each
 * camera's processed rate and capture-to-event latency. Removing a camera stops its capture at
 * once and answers at once; the frames it already put on the bus drain in the background (state
 * draining) before it is forgotten.
 */
export class CameraManager implements CameraController {
  private readonly cameras = new Map<string, ManagedCamera>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: CameraManagerOptions) {}

  async start(): Promise<this> {
    this.unsubscribe = await this.options.bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
      if (event.type === 'frame') this.cameras.get(event.cameraId)?.stats.processed(event.capturedAt);
    });
    // Every configured device is checked before any camera starts: a bad one fails start-up with nothing left running.
    for (const camera of this.options.config.cameras) checkSource(camera);
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
      id, source: redactSource(c.spec.source), state: c.removing ? 'draining' : c.state, since: c.removing?.since ?? c.since,
      inFlight: c.gate?.inFlight ?? 0, inputFps: c.stats.inputFps, processedFps: c.stats.processedFps,
      frames: c.stats.frames, dropped: c.stats.dropped, reconnects: c.reconnects, lastError: c.lastError, latencyMs: c.stats.latency(),
    };
  }

  async add(spec: CameraSpec | CameraConfig): Promise<CameraStatus> {
    const existing = this.cameras.get(spec.id);
    if (existing?.removing) {
      const message = `camera "${spec.id}" is still draining (${existing.gate?.inFlight ?? 0} frames in flight): add it again once GET /cameras/${spec.id} answers 404`;
      throw new EmotionStreamError('ERR_CONFLICT', message, { context: { cameraId: spec.id } });
    }
    if (existing) throw new EmotionStreamError('ERR_CONFLICT', `camera "${spec.id}" already exists`, { context: { cameraId: spec.id } });
    checkSource(spec);
    const config = this.pipelineConfigFor(spec);
    const camera: ManagedCamera = {
      spec, state: 'connecting', since: Date.now(), attempt: 1, reconnects: 0, lastError: null, stats: new CameraStats(), stop: new AbortController(), done: Promise.resolve(), settled: false,
    };
    this.cameras.set(spec.id, camera);
    this.publishState(camera, { cameraId: spec.id, state: 'connecting', previous: 'stopped', at: camera.since, attempt: 1 });
    camera.done = this.run(camera, config);
    return this.get(spec.id)!;
  }

  async remove(id: string): Promise<CameraStatus | undefined> {
    const camera = this.cameras.get(id);
    if (!camera) return undefined;
    if (camera.settled) {
      const last = this.get(id);
      this.cameras.delete(id);
      return last;
    }
    if (!camera.removing) {
      // Capture stops now; waiting here for the sinks to finish its frames (up to the drain timeout) is what made DELETE slow.
      camera.removing = { since: Date.now() };
      this.options.logger.info({ camera: id, inFlight: camera.gate?.inFlight ?? 0 }, 'camera removed: capture stopping, frames in flight draining');
      camera.stop.abort();
    }
    return this.get(id);
  }

  /** Stops every camera (each stream ends 'stopped'), waits for their drains, then ends the event subscription. */
  async stop(): Promise<void> {
    const cameras = [...this.cameras.values()];
    await Promise.all(cameras.map((camera) => this.remove(camera.spec.id)));
    await Promise.all(cameras.map((camera) => camera.done));
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
        onGate: (gate) => { camera.gate = gate; }, stopDrainTimeoutMs: this.options.drainTimeoutMs,
        bus, config, frameTtlMs: this.options.config.bus.frameTtlSeconds * 1000, frameEncoding: frameEncodingOf(this.options.config.bus), logger: log, signal: camera.stop.signal,
        streamStateTtlMs: this.options.config.bus.streamStateTtlSeconds * 1000,
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
      this.settle(camera);
      // A supervised camera that gave up (a missing webcam) stays in error with its reason.
      if (camera.state !== 'error') this.setState(camera, 'stopped');
    } catch (err) {
      this.settle(camera);
      // Only a file camera gets here (supervised cameras report failures as states).
      camera.lastError = { code: isEmotionStreamError(err) ? err.code : 'ERR_SOURCE_UNREADABLE', message: errorMessage(err), at: Date.now() };
      log.warn({ err: camera.lastError }, 'camera failed');
      this.setState(camera, 'error', camera.lastError);
    }
  }

  /** Capture and drain are over: a removed camera is forgotten before its last state goes out, so that event means it is gone. */
  private settle(camera: ManagedCamera): void {
    camera.settled = true;
    if (!camera.removing || this.cameras.get(camera.spec.id) !== camera) return;
    this.cameras.delete(camera.spec.id);
    this.options.logger.info({ camera: camera.spec.id, inFlight: camera.gate?.inFlight ?? 0, drainingMs: Date.now() - camera.removing.since }, 'camera drained and forgotten');
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

/** A webcam whose device cannot be a camera is refused before it is added (never retried for ever). */
function checkSource(spec: CameraSpec | CameraConfig): void {
  try {
    checkWebcamDevice(toVideoSource(spec.source));
  } catch (err) {
    if (!isEmotionStreamError(err)) throw err;
    throw new EmotionStreamError(err.code, `camera "${spec.id}": ${err.message}`, { cause: err, context: { ...err.context, cameraId: spec.id } });
  }
}
