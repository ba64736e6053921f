/**
 * The message bus between stage workers. Two implementations: in-memory (one process, the
 * embedded default) and Redis (BullMQ queues for stage work, Redis pub/sub for fan-out, frame
 * pixels under keys with a TTL). Workers are written against this interface only, so a stage
 * never knows which transport carries its messages.
 */

/** A job as a handler sees it. `id` is the caller's id (deduplicates re-adds), `attempt` counts from 1. */
export interface BusJob<T> {
  id: string;
  data: T;
  attempt: number;
}

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer (batching stages gather their batches from these). */
  concurrency: number;
  /**
   * How long a job stays with a consumer that stopped answering before another takes it
   * (default: the bus's). Long jobs whose process may be busy for a while (training) need more.
   */
  lockDurationMs?: number;
}

export interface Consumer {
  /**
   * Stops taking new jobs and waits for the ones in hand to finish (SIGTERM drain). With
   * `force`, returns at once; jobs in hand go back to the queue for another consumer.
   */
  close(force?: boolean): Promise<void>;
}

/**
 * Competing consumers: each job goes to one handler. A handler that resolves completes its job;
 * one that rejects has it retried (up to the queue's attempts), unless the error is a
 * `PoisonMessageError`, which fails it at once. A consumer that dies mid-job (SIGKILL) has its
 * jobs handed to another consumer.
 */
export interface WorkQueue<T> {
  readonly name: string;
  /** Adds a job; adding an id that is already waiting or active is a no-op (retries stay exactly-once). */
  add(id: string, data: T): Promise<void>;
  consume(handler: (job: BusJob<T>) => Promise<void>, options: ConsumeOptions): Consumer;
  /** Jobs waiting (not yet taken by a consumer). */
  depth(): Promise<number>;
}

/** Fan-out: every subscriber gets every message published after it subscribed (at most once). */
export interface Topic<T> {
  readonly name: string;
  publish(data: T): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(handler: (data: T) => void): Promise<() => Promise<void>>;
}

/** Frame pixels shared by every stage: written once by capture, read by reference. */
export interface SharedFrameStore {
  /** Stores pixels under `key` for at most `ttlMs` (frames a crashed pipeline leaves behind expire). */
  put(key: string, pixels: Buffer, ttlMs: number): Promise<void>;
  /** The pixels, or null when the key is gone (expired or deleted). */
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
}

/**
 * Monotonic counters (frames completed per stream, for capture's credits) and plain values.
 * A `ttlMs` makes the name vanish that long after this write (each write with one restarts it),
 * so the state of a stream nobody ends (a crashed stack) does not stay for ever.
 */
export interface Counters {
  increment(name: string, by?: number, ttlMs?: number): Promise<number>;
  get(name: string): Promise<number>;
  /** Plain values that outlive a worker (e.g. the last sequence number a sink emitted). */
  setValue(name: string, value: string, ttlMs?: number): Promise<void>;
  getValue(name: string): Promise<string | null>;
  /** Removes both the counter and the value of that name. */
  delete(name: string): Promise<void>;
}

export interface Bus {
  /** 'memory' or 'redis', for logs and metrics. */
  readonly transport: 'memory' | 'redis';
  queue<T>(name: string): WorkQueue<T>;
  topic<T>(name: string): Topic<T>;
  readonly frames: SharedFrameStore;
  readonly counters: Counters;
  /** Closes every queue, consumer and connection this bus opened. */
  close(): Promise<void>;
}

/** Thrown by a handler for a message that can never succeed (malformed, wrong version): no retry. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/** A handler's `PoisonMessageError` (by name too, in case a second copy of the module threw it). */
export function isPoisonMessage(err: unknown): boolean {
  return err instanceof PoisonMessageError || (err instanceof Error && err.name === 'PoisonMessageError');
}
