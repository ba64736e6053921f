import { errorMessage, isEmotionStreamError, type ErrorCode } from '../common/errors.ts';
import type { StageFault } from './messages.ts';

/**
 * The fault a stage puts on a frame it could not handle: the error's own code when it carries
 * one (ERR_FRAME_MISSING, ...), else the stage's `fallback` code, and the error's message.
 */
export function stageFault(stage: string, err: unknown, fallback: ErrorCode): StageFault {
  return { stage, code: isEmotionStreamError(err) ? err.code : fallback, message: errorMessage(err) };
}
