import { EmotionStreamError } from '../../common/errors.ts';
import type { RunStatsCheckpoint } from '../run-stats.ts';

/**
 * What the sinks worker records on the bus after each message of a stream it emitted: the
 * position and, with it in the same value, the stream's counts so far. One write, so a sinks worker
 * killed at any moment leaves a position and counts that agree; its successor resumes both, and the
 * stream's summary covers every message delivered, however often the worker restarted.
 */
export interface StreamCheckpoint {
  /** Last position emitted (stream-start -1, frames their seq). */
  pos: number;
  /** Messages that went through the sinks. */
  events: number;
  /** Positions given up on by the resequencer. */
  lost: number;
  stats: RunStatsCheckpoint;
}

export function encodeCheckpoint(cp: StreamCheckpoint): string {
  return JSON.stringify(cp);
}

/**
 * Reads a checkpoint. A bare number is the position alone, as versions before the counts wrote
 * it (the counts then start from zero); null when the stream has emitted nothing yet.
 */
export function decodeCheckpoint(streamId: string, raw: string | null): Pick<StreamCheckpoint, 'pos'> & Partial<StreamCheckpoint> | null {
  if (raw === null) return null;
  if (/^-?\d+$/.test(raw)) return { pos: Number(raw) };
  try {
    const cp = JSON.parse(raw) as StreamCheckpoint;
    if (Number.isInteger(cp.pos) && cp.stats && typeof cp.stats === 'object') return cp;
  } catch (cause) {
    throw new EmotionStreamError('ERR_BUS', `stream ${streamId}: unreadable sinks checkpoint ${preview(raw)}`, { cause });
  }
  throw new EmotionStreamError('ERR_BUS', `stream ${streamId}: sinks checkpoint without position or counts: ${preview(raw)}`);
}

function preview(raw: string): string {
  return raw.length > 120 ? `${raw.slice(0, 120)}...` : raw;
}
