import { EmotionStreamError } from '../../common/errors.ts';
import type { SmoothingConfig } from '../../config/schema.ts';
import { EMOTIONS, type Emotion, type EmotionScores, type StableEmotion, type TrackEndEvent } from '../messages.ts';

/** What one frame did to a track's emotion. */
export interface SmoothedUpdate {
  /** The stable label, its smoothed probability (`confidence`) and the smoothed scores of all seven classes. */
  stable: StableEmotion;
  /** Set on the update where the stable label changed. */
  changed?: { from: Emotion; to: Emotion };
}

/** A track's summary so far: the track-end event without its type and id. Times in ms. */
export type TrackSummary = Omit<TrackEndEvent, 'type' | 'trackId'>;

/**
 * One person's (track's) emotion over time: class probabilities averaged by time, and a stable
 * label that changes only after another class has clearly led for a while.
 *
 * Averaging is an exponential moving average by presentation time, so 15 and 30 fps give the same
 * curve: the first update sets the average to its scores; each later one, `dt` ms after the
 * previous, moves every class by `alpha = 1 - exp(-dt / timeConstantMs)` of the way to the new
 * scores (`timeConstantMs` 0: alpha 1, no averaging). A step in the input therefore covers
 * 1 - e^-1 (63.2%) of the way after exactly `timeConstantMs`. Time going backwards counts as
 * dt 0: an update earlier than the latest seen is taken to be at that latest time.
 *
 * Hysteresis: the stable label starts as the first frame's argmax. Afterwards, while the
 * average's argmax (the leader; ties go to the earlier class in EMOTIONS) differs from the stable
 * label and leads it by at least `switchMargin` (smoothed probability), the lead's start is
 * remembered (restarted when the leader changes, cleared when the lead falls below the margin);
 * once it has held `minDwellMs` (t - leadStart >= minDwellMs) the stable label becomes the leader.
 * With all three settings 0 the stable label is each frame's own argmax.
 *
 * Invariant: scores passed in are probabilities (0..1, summing to 1); the average then is too.
 */
export class EmotionSmoother {
  private readonly options: SmoothingConfig;
  private avg: EmotionScores | null = null;
  private stable: Emotion = EMOTIONS[0];
  private lead: { label: Emotion; sinceMs: number } | null = null;
  /** Latest time seen (never decreases). */
  private clockMs = 0;
  private startMs = 0;
  private frames = 0;
  private confidenceSum = 0;
  /** Time each stable label has held up to the latest update (the latest label's own hold is open). */
  private readonly heldMs = zeroScores();
  /** Updates per stable label: the share of a track that spans no time. */
  private readonly labelCounts = zeroScores();

  constructor(options: SmoothingConfig) {
    this.options = { ...options };
  }

  /** One frame's class probabilities at presentation time tMs (ms). */
  update(scores: EmotionScores, tMs: number): SmoothedUpdate {
    const first = this.avg === null;
    const from = this.stable;
    const avg = this.avg === null ? this.start(scores, tMs) : this.advance(this.avg, scores, tMs);
    this.frames++;
    this.labelCounts[this.stable]++;
    // Copies: callers may keep or mutate what they get without touching the average.
    const stable: StableEmotion = { label: this.stable, confidence: avg[this.stable], scores: { ...avg } };
    this.confidenceSum += stable.confidence;
    return !first && from !== this.stable ? { stable, changed: { from, to: this.stable } } : { stable };
  }

  /**
   * The track so far: from the first update's time to the last's (the latest seen, should time
   * have gone backwards, so durationMs is never negative). `share` weighs each update's stable label by the time until the next
   * update; the last one holds for the track's mean frame interval (0 for a one-frame track). A
   * track that spans no time at all weighs every update alike, so a one-frame track's label has
   * share 1. `dominant` is the largest share (ties: EMOTIONS order).
   */
  summary(): TrackSummary {
    if (this.avg === null) throw new EmotionStreamError('ERR_INTERNAL', 'EmotionSmoother.summary() before any update');
    const spanMs = this.clockMs - this.startMs;
    const held = { ...this.heldMs };
    held[this.stable] += this.frames > 1 ? spanMs / (this.frames - 1) : 0;
    const total = EMOTIONS.reduce((sum, e) => sum + held[e], 0);
    const share = total > 0 ? mapScores((e) => held[e] / total) : mapScores((e) => this.labelCounts[e] / this.frames);
    return {
      startMs: this.startMs,
      endMs: this.clockMs,
      durationMs: this.clockMs - this.startMs,
      frames: this.frames,
      share,
      dominant: argmax(share),
      meanConfidence: this.confidenceSum / this.frames,
    };
  }

  private start(scores: EmotionScores, tMs: number): EmotionScores {
    this.avg = { ...scores };
    this.stable = argmax(scores);
    this.clockMs = tMs;
    this.startMs = tMs;
    return this.avg;
  }

  private advance(avg: EmotionScores, scores: EmotionScores, tMs: number): EmotionScores {
    const dt = Math.max(0, tMs - this.clockMs);
    this.heldMs[this.stable] += dt; // the previous stable label held until this frame
    this.clockMs = Math.max(this.clockMs, tMs); // not += dt: keep frame times exact
    const tau = this.options.timeConstantMs;
    const alpha = tau > 0 ? 1 - Math.exp(-dt / tau) : 1;
    // avg += alpha * (scores - avg), written so alpha 1 copies the scores exactly (no smoothing).
    for (const e of EMOTIONS) avg[e] = (1 - alpha) * avg[e] + alpha * scores[e];
    this.applyHysteresis(avg);
    return avg;
  }

  private applyHysteresis(avg: EmotionScores): void {
    const leader = argmax(avg);
    if (leader === this.stable || avg[leader] - avg[this.stable] < this.options.switchMargin) {
      this.lead = null;
      return;
    }
    if (this.lead?.label !== leader) this.lead = { label: leader, sinceMs: this.clockMs };
    if (this.clockMs - this.lead.sinceMs >= this.options.minDwellMs) {
      this.stable = leader;
      this.lead = null;
    }
  }
}

function zeroScores(): EmotionScores {
  return mapScores(() => 0);
}

/** A score record with every class, in EMOTIONS order. */
function mapScores(value: (emotion: Emotion) => number): EmotionScores {
  const out = {} as EmotionScores;
  for (const e of EMOTIONS) out[e] = value(e);
  return out;
}

/** The class with the highest score; ties go to the earlier class in EMOTIONS. */
function argmax(scores: EmotionScores): Emotion {
  let best: Emotion = EMOTIONS[0];
  for (const e of EMOTIONS) if (scores[e] > scores[best]) best = e;
  return best;
}
