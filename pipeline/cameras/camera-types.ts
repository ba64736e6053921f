import type { SourceConfig } from '../../config/schema.ts';

/**
 * A camera's lifecycle. connecting: first attempt under way; live: frames arriving; stalled: no
 * frame for the stall timeout (the session is being torn down); reconnecting: waiting out a
 * backoff before the next attempt; error: given up (a non-retryable failure such as a missing
 * webcam device) or failing and retrying (see `lastError`); stopped: removed or finished.
 */
export type CameraState = 'connecting' | 'live' | 'stalled' | 'reconnecting' | 'error' | 'stopped';

/**
 * The state GET /cameras shows: a CameraState, or draining: removal was asked for, capture has
 * stopped, and the frames already on the bus are still being finished downstream (`inFlight`);
 * the camera leaves the list once they are, or after the drain timeout. Not a camera-state
 * event: those keep the CameraState values.
 */
export type CameraStatusState = CameraState | 'draining';

export interface CameraError {
  code: string;
  message: string;
  /** Epoch ms. */
  at: number;
}

/** One state transition, as published on the WebSocket (`camera-state` event) and logged. */
export interface CameraStateChange {
  cameraId: string;
  state: CameraState;
  previous: CameraState;
  /** Epoch ms. */
  at: number;
  /** Connection attempts so far (1 = the first). */
  attempt: number;
  /** Why: the error that caused a stall/reconnect/error state. */
  error?: { code: string; message: string };
  /** reconnecting only: ms until the next attempt. */
  retryInMs?: number;
}

/** What a user asks for: a camera id and its source (the config's `cameras[]` entries and POST /cameras). */
export interface CameraSpec {
  id: string;
  source: SourceConfig;
  /** Default: live for webcam/rtsp, replay for files. */
  mode?: 'live' | 'replay';
  realtime?: boolean;
  resize?: { width: number; height: number };
}

/** GET /cameras/{id}. Rates are over the last 10 s; latency is capture-to-event over the last 1000 frames. */
export interface CameraStatus {
  id: string;
  /** The source with any password replaced by ***. */
  source: Record<string, unknown>;
  state: CameraStatusState;
  /** Epoch ms of the last state change (draining: when removal was asked for). */
  since: number;
  /** Frames captured and not yet finished by the sinks (at most the flow gate's capacity, maxInFlight). */
  inFlight: number;
  inputFps: number;
  processedFps: number;
  frames: number;
  dropped: number;
  reconnects: number;
  lastError: CameraError | null;
  latencyMs: { p50: number; p95: number; p99: number; count: number } | null;
}

/** What the HTTP API drives. Errors are EmotionStreamErrors: ERR_CONFIG (bad spec, a device that is no webcam), ERR_CONFLICT (id in use, or still draining), ERR_NOT_FOUND. */
export interface CameraController {
  list(): CameraStatus[];
  get(id: string): CameraStatus | undefined;
  add(spec: CameraSpec): Promise<CameraStatus>;
  /**
   * Stops the camera's capture at once (its stream ends with reason 'stopped') without waiting
   * for the frames already on the bus: resolves with its status in state 'draining' while they
   * are finished downstream (the camera is forgotten once they are, or after the drain timeout),
   * or, for a camera that had already finished, with its last status once forgotten. Asking
   * again while draining answers the same. Undefined when unknown.
   */
  remove(id: string): Promise<CameraStatus | undefined>;
}
