/**
 * Puts one stream's messages back in order after parallel workers finished them out of order.
 * Positions are consecutive integers starting at `next` (stream-start -1, frames 0.., stream-end
 * last). Bounded: at most `window` items wait; past that, or when `skipGap()` is called after a
 * timeout, the missing positions are given up (counted in `lost`) rather than blocking the stream.
 *
 * Invariants: `release` order is strictly increasing; a position at or below the last released
 * one is a duplicate (a redelivered job) and is never released twice.
 */
export class Resequencer<T> {
  private readonly waiting = new Map<number, T>();
  private nextPos: number;
  /** Positions given up on (never arrived within the window or the gap timeout). */
  lost = 0;
  /** Items that arrived again after being released or while already waiting. */
  duplicates = 0;

  constructor(next: number, private readonly window: number) {
    this.nextPos = next;
  }

  /** The position expected next. */
  get next(): number {
    return this.nextPos;
  }

  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Offers the item at `pos`; returns the items that are now in order (possibly none), oldest
   * first. A duplicate returns [] and is counted.
   */
  offer(pos: number, item: T): { released: [number, T][]; duplicate: boolean } {
    if (pos < this.nextPos || this.waiting.has(pos)) {
      this.duplicates += 1;
      return { released: [], duplicate: true };
    }
    this.waiting.set(pos, item);
    const released = this.drain();
    while (this.waiting.size > this.window) released.push(...this.skipGap());
    return { released, duplicate: false };
  }

  /** Gives up on the positions missing before the oldest waiting item; returns what that frees. */
  skipGap(): [number, T][] {
    if (this.waiting.size === 0) return [];
    const oldest = Math.min(...this.waiting.keys());
    this.lost += oldest - this.nextPos;
    this.nextPos = oldest;
    return this.drain();
  }

  private drain(): [number, T][] {
    const out: [number, T][] = [];
    while (this.waiting.has(this.nextPos)) {
      out.push([this.nextPos, this.waiting.get(this.nextPos)!]);
      this.waiting.delete(this.nextPos);
      this.nextPos += 1;
    }
    return out;
  }
}
