/**
 * One catalogue of coded errors. Codes are stable: users match on them in logs and events.
 */
export const ERROR_CODES = {
  ERR_CONFIG: 'invalid configuration',
  ERR_SOURCE_NOT_FOUND: 'video source does not exist',
  ERR_SOURCE_UNREADABLE: 'video source could not be decoded',
  ERR_SOURCE_UNREACHABLE: 'camera or stream could not be opened',
  ERR_SOURCE_STALLED: 'a live source stopped delivering frames',
  ERR_SOURCE_DAMAGED: 'the video had frames that could not be decoded (replay --strict)',
  ERR_FFMPEG_MISSING: 'ffmpeg is not installed',
  ERR_MODEL_LOAD: 'a model (emotion classifier or face embedding) could not be loaded',
  ERR_MODEL_INVALID: 'emotion model does not match what the pipeline expects',
  ERR_DETECTOR_LOAD: 'face detector could not be loaded',
  ERR_DETECT: 'face detection failed on a frame',
  ERR_CLASSIFY: 'emotion classification failed',
  ERR_ANNOTATE: 'annotation failed on a frame',
  ERR_FRAME_MISSING: 'frame pixels are no longer in the frame store',
  ERR_FRAME_SHAPE: 'frame pixels do not match the declared width and height',
  ERR_FRAME_CORRUPT: 'stored frame bytes could not be decoded (damaged, truncated or not a frame)',
  ERR_SINK: 'an output sink failed',
  ERR_FLOW_GATE: 'a flow gate credit was released more often than acquired',
  ERR_DATASET: 'dataset could not be loaded',
  ERR_TRAINING: 'training failed',
  ERR_CHECKPOINT: 'checkpoint could not be read or written',
  ERR_USAGE: 'invalid command-line usage',
  ERR_BAD_MESSAGE: 'a client sent a message the server does not understand',
  ERR_INTERNAL: 'an unexpected server error (details in the server log)',
  ERR_BUS: 'the message bus (Redis) failed',
  ERR_CONFLICT: 'the resource already exists',
  ERR_NOT_FOUND: 'no such resource',
  ERR_UNAUTHORIZED: 'missing or wrong API token',
  ERR_FORBIDDEN_PATH: 'path outside the configured media directories',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code, optional structured context and the underlying cause. */
export class EmotionStreamError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'EmotionStreamError';
    this.code = code;
    this.context = options.context ?? {};
  }
}

export function isEmotionStreamError(err: unknown): err is EmotionStreamError {
  return err instanceof EmotionStreamError;
}

/** The message of any thrown value, for logs and faults. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
