import type { Logger } from '../logger.ts';
import type { StreamIntegrity } from '../messages.ts';
import { WarnLimiter } from '../warn-limiter.ts';

/** A step in presentation time longer than this many nominal frame intervals is a gap (frames missing). */
export const GAP_FACTOR = 1.5;

/** Decode errors are logged at most once per this window (a damaged GOP prints dozens of lines). */
const DECODE_WARN_WINDOW_MS = 5000;

export interface IntegrityMonitorOptions {
  /** The source's nominal frame rate; gaps are measured in its frame intervals (none when unknown). */
  fps: number;
  logger: Logger;
  /**
   * Gaps are logged at most once per this window (default 0: every gap). Files need none (their
   * damage is finite); a live camera whose rate sags (a webcam in low light) would log every frame.
   */
  gapWarnWindowMs?: number;
  /** Clock for the rate limits (tests). */
  now?: () => number;
}

/**
 * Watches one decoded stream for damage the frames themselves do not show: ffmpeg's decode errors
 * (counted, logged at warn at most once per window with the count left unlogged) and jumps in
 * presentation time (each logged at warn with the frames estimated missing). `report()` gives the
 * totals for the stream-end and the run summary.
 */
export class IntegrityMonitor {
  private readonly intervalMs: number;
  private readonly decodeWarnings: WarnLimiter;
  private readonly gapWarnings: WarnLimiter;
  private decodeErrors = 0;
  private ptsGaps = 0;
  private framesMissing = 0;
  private lastPtsMs?: number;
  private lastSeq?: number;

  constructor(private readonly options: IntegrityMonitorOptions) {
    this.intervalMs = Number.isFinite(options.fps) && options.fps > 0 ? 1000 / options.fps : 0;
    const now = options.now ?? Date.now;
    this.decodeWarnings = new WarnLimiter(DECODE_WARN_WINDOW_MS, now);
    this.gapWarnings = new WarnLimiter(options.gapWarnWindowMs ?? 0, now);
  }

  /** A decoded frame, in decode order. */
  frame(seq: number, ptsMs: number): void {
    const previous = this.lastPtsMs;
    // A pts that steps back (reordering around damage) neither opens a gap nor moves the mark.
    if (previous !== undefined && ptsMs <= previous) return;
    this.lastPtsMs = ptsMs;
    const afterSeq = this.lastSeq;
    this.lastSeq = seq;
    if (previous === undefined || this.intervalMs === 0) return;
    const gapMs = ptsMs - previous;
    if (gapMs <= GAP_FACTOR * this.intervalMs) return;
    const missing = Math.max(1, Math.round(gapMs / this.intervalMs) - 1);
    this.ptsGaps += 1;
    this.framesMissing += missing;
    const unlogged = this.gapWarnings.admit();
    if (unlogged === null) return;
    this.options.logger.warn(
      { frame: seq, afterFrame: afterSeq, fromPtsMs: previous, toPtsMs: ptsMs, gapMs: round(gapMs), framesMissing: missing, ...(unlogged > 0 ? { unloggedGaps: unlogged } : {}) },
      'presentation time jumps: frames missing from the source',
    );
  }

  /** One of ffmpeg's decode error lines (or concealment notices). */
  decodeError(text: string): void {
    this.decodeErrors += 1;
    const unlogged = this.decodeWarnings.admit();
    if (unlogged === null) return;
    this.options.logger.warn({ error: text, decodeErrors: this.decodeErrors, unlogged, afterFrame: this.lastSeq }, 'ffmpeg reported a decode error: the source is damaged');
  }

  /** Totals so far; what the rate limits held back is logged (as counts) now. */
  report(): StreamIntegrity {
    const decodes = this.decodeWarnings.flush();
    if (decodes > 0) this.options.logger.warn({ decodeErrors: this.decodeErrors, unlogged: decodes }, 'more decode errors since the last warning');
    const gaps = this.gapWarnings.flush();
    if (gaps > 0) this.options.logger.warn({ ptsGaps: this.ptsGaps, framesMissing: this.framesMissing, unloggedGaps: gaps }, 'more presentation-time gaps since the last warning');
    return { decodeErrors: this.decodeErrors, ptsGaps: this.ptsGaps, framesMissing: this.framesMissing };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
