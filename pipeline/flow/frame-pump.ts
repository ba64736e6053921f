import type { FlowGate } from './flow-gate.ts';

/** A frame read from the source, waiting to be emitted. */
export interface PumpedFrame {
  seq: number;
  /** Presentation time from the first frame, milliseconds. */
  ptsMs: number;
  capturedAt: number;
  pixels: Buffer;
}

export interface FramePumpOptions {
  /** 'replay' never drops (the source is paused instead); 'live' keeps only the newest waiting frame. */
  mode: 'replay' | 'live';
  /** Emit no frame before (time of the first frame + its ptsMs): plays a file at its own rate. */
  realtime: boolean;
  gate: FlowGate;
  /** Called with a frame once a gate credit is held for it. */
  emit: (frame: PumpedFrame) => void;
  /** Called for each live frame dropped because a newer one arrived while the gate was full. */
  drop: (frame: PumpedFrame) => void;
  /** Asks the source to stop (true) or restart (false) reading. */
  setPaused: (paused: boolean) => void;
  /** Clock, epoch milliseconds (injectable for tests). */
  now?: () => number;
}

/**
 * Moves frames from a source to the pipeline under a flow gate: one gate credit per emitted
 * frame, taken with `tryAcquire()` when free, else by waiting in the gate's FIFO queue.
 *
 * Memory stays bounded in every mode: replay pauses the source while any frame waits for a
 * credit; live holds at most one waiting frame (the newest); realtime pauses the source while a
 * frame waits for its due time.
 */
export class FramePump {
  private readonly options: FramePumpOptions;
  private readonly now: () => number;
  /** Realtime only: read, not yet due. */
  private readonly scheduled: PumpedFrame[] = [];
  /** Due, waiting for a gate credit. */
  private readonly ready: PumpedFrame[] = [];
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private acquiring = false;
  private paused = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private clockOrigin?: number;
  private emittedCount = 0;
  private droppedCount = 0;

  constructor(options: FramePumpOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  get emitted(): number {
    return this.emittedCount;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Frames read but not yet emitted. */
  get pending(): number {
    return this.scheduled.length + this.ready.length;
  }

  push(frame: PumpedFrame): void {
    if (this.stopped) return;
    if (this.options.realtime) {
      this.clockOrigin ??= this.now() - frame.ptsMs;
      this.scheduled.push(frame);
      this.promoteDue();
    } else {
      this.makeReady(frame);
    }
    this.pump();
  }

  /** Resolves once every pushed frame has been emitted or dropped (or the pump is stopped). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Discards waiting frames, cancels a pending gate wait and timers. Held credits are not touched. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new Error('frame pump stopped'));
    clearTimeout(this.timer);
    this.scheduled.length = 0;
    this.ready.length = 0;
    this.settleIdle();
  }

  private makeReady(frame: PumpedFrame): void {
    this.ready.push(frame);
    while (this.options.mode === 'live' && this.ready.length > 1) {
      this.droppedCount += 1;
      this.options.drop(this.ready.shift()!);
    }
  }

  private promoteDue(): void {
    clearTimeout(this.timer);
    const now = this.now();
    while (this.scheduled.length > 0 && this.dueAt(this.scheduled[0]) <= now) {
      const frame = this.scheduled.shift()!;
      // A paced replay imitates a camera: the frame is "captured" when it becomes due.
      frame.capturedAt = Math.max(frame.capturedAt, now);
      this.makeReady(frame);
    }
    if (this.scheduled.length === 0) return;
    this.timer = setTimeout(() => {
      this.promoteDue();
      this.pump();
    }, this.dueAt(this.scheduled[0]) - now);
  }

  private dueAt(frame: PumpedFrame): number {
    return (this.clockOrigin ?? 0) + frame.ptsMs;
  }

  private pump(): void {
    while (!this.stopped && !this.acquiring && this.ready.length > 0) {
      if (this.options.gate.tryAcquire()) {
        this.emitNext();
        continue;
      }
      this.acquiring = true;
      this.options.gate.acquire(this.abort.signal).then(
        () => this.onCredit(),
        () => {
          // Only stop() aborts the wait; it has already discarded the frames.
          this.acquiring = false;
        },
      );
    }
    this.updateFlow();
    this.settleIdle();
  }

  private onCredit(): void {
    this.acquiring = false;
    if (this.stopped || this.ready.length === 0) {
      this.options.gate.release();
      return;
    }
    this.emitNext();
    this.pump();
  }

  private emitNext(): void {
    const frame = this.ready.shift()!;
    this.emittedCount += 1;
    this.options.emit(frame);
  }

  private updateFlow(): void {
    if (this.stopped) return;
    const shouldPause = this.scheduled.length > 0 || (this.options.mode === 'replay' && this.ready.length > 0);
    if (shouldPause === this.paused) return;
    this.paused = shouldPause;
    this.options.setPaused(shouldPause);
  }

  private isIdle(): boolean {
    return this.stopped || (this.pending === 0 && !this.acquiring);
  }

  private settleIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
