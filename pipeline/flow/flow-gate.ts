import { EmotionStreamError } from '../../common/errors.ts';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A credit gate for backpressure between capture and the sinks: at most `capacity` frames are
 * in flight (emitted by capture, not yet fully handled downstream).
 *
 * Invariants: `0 <= inFlight <= capacity`; waiters are served first-in first-out, and a
 * released credit is handed straight to the oldest waiter, so `tryAcquire()` never jumps
 * the queue (several cameras sharing one gate each get their turn).
 *
 * Whoever finishes with a frame (usually the last sink) calls `release()` exactly once per
 * acquired credit.
 */
export class FlowGate {
  readonly capacity: number;
  private held = 0;
  private readonly waiters: Waiter[] = [];
  private readonly releaseListeners = new Set<() => void>();

  /** @throws ERR_CONFIG when capacity is not a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new EmotionStreamError('ERR_CONFIG', `flow gate capacity must be a positive integer, got ${capacity}`, {
        context: { capacity },
      });
    }
    this.capacity = capacity;
  }

  /** Credits currently held (frames in flight). */
  get inFlight(): number {
    return this.held;
  }

  /** Callers currently waiting in `acquire()`. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes a credit if one is free and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    if (this.held >= this.capacity || this.waiters.length > 0) return false;
    this.held += 1;
    return true;
  }

  /**
   * Resolves once a credit is held by the caller. Rejects with the signal's reason if `signal`
   * aborts first; an aborted waiter holds no credit, so a cancelled capture cannot leak one.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => this.abandon(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /**
   * Returns one credit. The credit goes to the oldest waiter if there is one; then the
   * release listeners run (synchronously, after the hand-over).
   *
   * @throws ERR_FLOW_GATE when nothing is held (a double release would let the pipeline
   * overrun its memory bound, so it is a bug worth failing loudly on).
   */
  release(): void {
    if (this.held === 0) {
      throw new EmotionStreamError('ERR_FLOW_GATE', 'flow gate released more often than acquired', {
        context: { capacity: this.capacity },
      });
    }
    const next = this.waiters.shift();
    if (next) {
      this.detach(next);
      next.resolve();
    } else {
      this.held -= 1;
    }
    for (const listener of [...this.releaseListeners]) listener();
  }

  /**
   * Registers a listener called after every `release()`. Returns a function that removes it.
   * Capture uses it to emit a waiting live frame as soon as there is room.
   */
  onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => {
      this.releaseListeners.delete(listener);
    };
  }

  private abandon(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index === -1) return;
    this.waiters.splice(index, 1);
    waiter.reject(waiter.signal?.reason);
  }

  private detach(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
  }
}
