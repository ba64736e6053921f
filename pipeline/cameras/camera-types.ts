import type { SourceConfig } from '../../config/schema.ts';

/**
 * A camera's lifecycle. connecting: first attempt under way; live: frames arriving; stalled: no
 * frame for the stall timeout (the session is being torn down); reconnecting: waiting out a
 * backoff before the next attempt; error: given up (a non-retryable failure such as a missing
 * webcam device) or failing and retrying (see `lastError`); stopped: removed or finished.
 */
export type CameraState = 'connecting' | 'live' | 'stalled' | 'reconnecting' | 'error' | 'stopped';

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
  state: CameraState;
  /** Epoch ms of the last state change. */
  since: number;
  inputFps: number;
  processedFps: number;
  frames: number;
  dropped: number;
  reconnects: number;
  lastError: CameraError | null;
  latencyMs: { p50: number; p95: number; p99: number; count: number } | null;
}

/** What the HTTP API drives. Errors are EmotionStreamErrors: ERR_CONFIG (bad spec), ERR_CONFLICT (id in use), ERR_NOT_FOUND. */
export interface CameraController {
  list(): CameraStatus[];
  get(id: string): CameraStatus | undefined;
  add(spec: CameraSpec): Promise<CameraStatus>;
  /** Stops the camera (its stream ends with reason 'stopped') and forgets it; false when unknown. */
  remove(id: string): Promise<boolean>;
}
