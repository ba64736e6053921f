import type { ClassificationsMsg, Emotion, EmotionScores, StreamEndMsg, StreamIntegrity, StreamStartMsg, StageTimings, TrackEndEvent } from './messages.ts';
import type { EmitEventsStats } from './stages/emit-events.ts';

export interface LatencyStats {
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

/** One person of a run (a track), as the summary lists them. Times are presentation times (ms). */
export interface PersonSummary {
  trackId: number;
  /** With re-identification on: the person, the same on each track of someone who left and came back. */
  personId?: number;
  firstSeenMs: number;
  lastSeenMs: number;
  frames: number;
  dominant: Emotion;
  /** Share of the person's time in each stable emotion, 0..1. */
  share: EmotionScores;
  meanConfidence: number;
}

/** What a finished run reports: counts, throughput, per-stage time, the people seen and how the stream ended. */
export interface RunSummary {
  cameraId: string | null;
  source: string | null;
  width: number;
  height: number;
  sourceFps: number;
  frames: number;
  faces: number;
  framesWithFaces: number;
  faults: number;
  dropped: number;
  /** Damage capture found in the source (decode errors, presentation-time gaps); null when the stream has not ended. */
  integrity: StreamIntegrity | null;
  videoFrames: number | null;
  events: number;
  sinkErrors: Record<string, number>;
  wallSeconds: number;
  fps: number;
  stageMs: Partial<Record<keyof StageTimings, LatencyStats>>;
  /** Capture (frame read) to the end of the chain, milliseconds. */
  latencyMs: LatencyStats | null;
  labels: Record<string, number>;
  /** Every person tracked, by track id (empty when tracking is off). */
  people: PersonSummary[];
  end: { reason: StreamEndMsg['reason']; error?: StreamEndMsg['error'] } | null;
}

/**
 * The counts of a run so far, to carry on in another process (a restarted sinks worker). Latency
 * and stage-time samples stay behind: they describe the process that measured them.
 */
export interface RunStatsCheckpoint {
  start: StreamStartMsg | null;
  /** Epoch ms when the run's stream started here, so wall time spans the restart. */
  startedAtMs: number;
  frames: number;
  faces: number;
  withFaces: number;
  faults: number;
  drops: number;
  labels: Record<string, number>;
  people: PersonSummary[];
}

/** Accumulates a run's figures as messages pass the end of the chain. */
export class RunStats {
  private started = performance.now();
  private startedAtMs = Date.now();
  private startMsg: StreamStartMsg | null = null;
  private endMsg: StreamEndMsg | null = null;
  private frames = 0;
  private faces = 0;
  private withFaces = 0;
  private faults = 0;
  private drops = 0;
  private written: number | null = null;
  private readonly timings: Record<string, number[]> = {};
  private readonly latencies: number[] = [];
  private readonly labels: Record<string, number> = {};
  private readonly people: PersonSummary[] = [];

  start(msg: StreamStartMsg): void {
    this.startMsg = msg;
    this.started = performance.now();
    this.startedAtMs = Date.now();
  }

  checkpoint(): RunStatsCheckpoint {
    return {
      start: this.startMsg, startedAtMs: this.startedAtMs, frames: this.frames, faces: this.faces, withFaces: this.withFaces,
      faults: this.faults, drops: this.drops, labels: { ...this.labels }, people: [...this.people],
    };
  }

  /** Continues the run a checkpoint describes (counts add on; latencies start afresh). */
  static restore(cp: RunStatsCheckpoint): RunStats {
    const stats = new RunStats();
    stats.startMsg = cp.start;
    stats.startedAtMs = cp.startedAtMs;
    stats.started = performance.now() - Math.max(0, Date.now() - cp.startedAtMs);
    stats.frames = cp.frames;
    stats.faces = cp.faces;
    stats.withFaces = cp.withFaces;
    stats.faults = cp.faults;
    stats.drops = cp.drops;
    Object.assign(stats.labels, cp.labels);
    stats.people.push(...cp.people);
    return stats;
  }

  frame(msg: ClassificationsMsg): void {
    this.frames++;
    this.faces += msg.faces.length;
    if (msg.faces.length > 0) this.withFaces++;
    if (msg.fault) this.faults++;
    for (const [stage, ms] of Object.entries(msg.timings)) (this.timings[stage] ??= []).push(ms);
    this.latencies.push(Date.now() - msg.meta.capturedAt);
    for (const f of msg.faces) this.labels[f.label] = (this.labels[f.label] ?? 0) + 1;
    this.trackEnds(msg.trackEvents);
  }

  end(msg: StreamEndMsg): void {
    this.endMsg = msg;
    this.trackEnds(msg.trackEvents);
  }

  private trackEnds(events: readonly { type: string }[] | undefined): void {
    for (const e of events ?? []) if (e.type === 'track-end') this.people.push(personOf(e as TrackEndEvent));
  }

  dropped(): void {
    this.drops++;
  }

  videoFrames(n: number): void {
    this.written = n;
  }

  summary(events: EmitEventsStats): RunSummary {
    const wall = (performance.now() - this.started) / 1000;
    const s = this.startMsg;
    return {
      cameraId: s?.cameraId ?? null, source: s?.source ?? null, width: s?.width ?? 0, height: s?.height ?? 0, sourceFps: s?.fps ?? 0,
      frames: this.frames, faces: this.faces, framesWithFaces: this.withFaces, faults: this.faults, dropped: this.drops,
      integrity: this.endMsg?.integrity ? { ...this.endMsg.integrity } : null,
      videoFrames: this.written, events: events.events, sinkErrors: events.sinkErrors,
      wallSeconds: round(wall), fps: round(this.frames / Math.max(wall, 1e-6)),
      stageMs: Object.fromEntries(Object.entries(this.timings).map(([k, v]) => [k, latency(v)])),
      latencyMs: this.latencies.length ? latency(this.latencies) : null,
      labels: this.labels,
      people: [...this.people].sort((a, b) => a.trackId - b.trackId),
      end: this.endMsg ? endOf(this.endMsg) : null,
    };
  }
}

function personOf(e: TrackEndEvent): PersonSummary {
  const share = Object.fromEntries(Object.entries(e.share).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4])) as EmotionScores;
  return { trackId: e.trackId, ...(e.personId === undefined ? {} : { personId: e.personId }), firstSeenMs: round(e.startMs), lastSeenMs: round(e.endMs), frames: e.frames, dominant: e.dominant, share, meanConfidence: Math.round(e.meanConfidence * 1e4) / 1e4 };
}

/** `error` only when there is one: `'error' in end` and deep comparisons must not see an undefined key. */
function endOf(msg: StreamEndMsg): NonNullable<RunSummary['end']> {
  return msg.error ? { reason: msg.reason, error: msg.error } : { reason: msg.reason };
}

/** Mean and percentiles (nearest rank) of a sample, in the sample's unit. */
export function latency(values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { mean: round(mean), p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[sorted.length - 1] ?? 0) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
