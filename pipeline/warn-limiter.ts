/**
 * At most one warning per window for a thing that can fail or recur many times a second (a bus
 * poll during an outage, a damaged stream's decode errors); counts the ones it held back, so the
 * next warning can say how many there were.
 */
export class WarnLimiter {
  private lastAt = -Infinity;
  private held = 0;

  /** `windowMs` 0 admits every warning. */
  constructor(private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** null: hold this one back; otherwise log it, with the number held back since the last. */
  admit(): number | null {
    const now = this.now();
    if (this.windowMs > 0 && now - this.lastAt < this.windowMs) {
      this.held += 1;
      return null;
    }
    const held = this.held;
    this.lastAt = now;
    this.held = 0;
    return held;
  }

  /** The number held back since the last warning (and starts counting afresh). */
  flush(): number {
    const held = this.held;
    this.held = 0;
    return held;
  }
}
