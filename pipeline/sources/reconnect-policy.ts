import { EmotionStreamError } from '../../common/errors.ts';

export interface ReconnectPolicy {
  /** Wait before the first reconnect (attempt 1), ms. */
  initialDelayMs: number;
  /** No wait is ever longer than this, jitter included, ms. */
  maxDelayMs: number;
  /** Each further attempt waits this many times longer (>= 1). */
  multiplier: number;
  /** 0..1: each wait is spread by up to +-this fraction, so cameras behind one dead switch do not retry in lockstep. */
  jitter: number;
  /** A live session that delivers no frame (nor drops one) for this long is stalled: it is ended and reconnected, ms (the first frame gets FIRST_FRAME_GRACE_MS more). */
  stallTimeoutMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 1000, maxDelayMs: 30000, multiplier: 2, jitter: 0.2, stallTimeoutMs: 5000 };

/** A session live at least this long was a working stream: the next failure starts the backoff over at attempt 1. */
export const STABLE_SESSION_MS = 10_000;

/**
 * Extra time the first frame of a session gets on top of `stallTimeoutMs`: before decoding,
 * ffmpeg reads up to 5 s of a stream to analyse it (its default -analyzeduration; ~2.5 s for a
 * 10 fps RTSP stream here), and a player that joins mid-GOP waits for the next keyframe.
 */
export const FIRST_FRAME_GRACE_MS = 5000;

/**
 * How long to wait before reconnect `attempt` (1 = the first):
 * `min(maxDelayMs, initialDelayMs * multiplier^(attempt-1))`, spread by `jitter` (random() in
 * [0, 1): 0 -> -jitter, 0.5 -> exact, ->1 -> +jitter), then capped at maxDelayMs again; whole ms.
 */
export function backoffDelay(attempt: number, policy: ReconnectPolicy, random: () => number): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (n - 1));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, base * spread)));
}

/** The defaults with `partial` over them. @throws ERR_CONFIG for negative delays, multiplier < 1, jitter outside 0..1 or stallTimeoutMs <= 0. */
export function resolvePolicy(partial: Partial<ReconnectPolicy> = {}): ReconnectPolicy {
  const policy = { ...DEFAULT_RECONNECT, ...partial };
  const { initialDelayMs, maxDelayMs, multiplier, jitter, stallTimeoutMs } = policy;
  const ok = initialDelayMs >= 0 && maxDelayMs >= 0 && multiplier >= 1 && jitter >= 0 && jitter <= 1 && stallTimeoutMs > 0;
  if (!ok) throw new EmotionStreamError('ERR_CONFIG', `invalid reconnect policy: ${JSON.stringify(policy)}`, { context: { policy } });
  return policy;
}
