import { EmotionStreamError } from '../../common/errors.ts';
import type { TrackIdSource } from './face-tracker.ts';

/**
 * Track ids handed out from blocks reserved on a shared counter (the bus's, for a stream): a
 * sinks worker that restarts mid-stream reserves a fresh block, so an id is never given twice in
 * a stream, whoever tracks it (ids jump after a restart; they never repeat). `ensure()` is awaited
 * before each frame so `next()` never runs dry.
 */
export class ReservedTrackIds implements TrackIdSource {
  private nextId = 0;
  private end = 0; // exclusive

  /**
   * @param reserve adds `count` to the shared counter and resolves to its new value (the block is
   *   the `count` ids up to and including it).
   */
  constructor(private readonly reserve: (count: number) => Promise<number>, private readonly block = 256) {}

  /** Reserves another block when fewer than `min` ids are left (more faces than that on one frame is unheard of). */
  async ensure(min = 64): Promise<void> {
    if (this.end - this.nextId >= min) return;
    const top = await this.reserve(this.block);
    this.nextId = top - this.block + 1;
    this.end = top + 1;
  }

  next(): number {
    if (this.nextId >= this.end) throw new EmotionStreamError('ERR_INTERNAL', 'track ids used before a block was reserved (ensure() not awaited)');
    return this.nextId++;
  }
}
