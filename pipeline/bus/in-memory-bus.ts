import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { isPoisonMessage } from './transport.ts';
import type { Bus, BusJob, ConsumeOptions, Consumer, Counters, SharedFrameStore, Topic, WorkQueue } from './transport.ts';

export interface InMemoryBusOptions {
  logger?: Logger;
  /** Tries per job before it counts as failed (default 5). */
  attempts?: number;
  /** Delay before the first retry; doubles on each further one (default 100 ms). */
  retryDelayMs?: number;
}

type Handler<T> = (job: BusJob<T>) => Promise<void>;

interface Entry<T> {
  id: string;
  data: T;
  attempt: number;
}

/** How often expired frames are swept (they are also dropped lazily on `get`). */
const FRAME_SWEEP_MS = 1000;

class MemoryConsumer<T> implements Consumer {
  active = 0;
  closed = false;
  readonly inHand = new Set<Promise<void>>();

  constructor(readonly handler: Handler<T>, readonly concurrency: number, private readonly detach: (c: MemoryConsumer<T>) => void) {}

  get free(): boolean {
    return !this.closed && this.active < this.concurrency;
  }

  async close(force = false): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.detach(this);
    }
    // Nothing can take a job over in one process: force only stops waiting for the ones in hand.
    if (!force) await Promise.allSettled([...this.inHand]);
  }
}

class MemoryQueue<T> implements WorkQueue<T> {
  private readonly waiting: Entry<T>[] = [];
  /** Ids waiting, in hand or waiting out a retry delay: re-adding one of them is a no-op. */
  private readonly known = new Set<string>();
  private readonly consumers: MemoryConsumer<T>[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private nextConsumer = 0;
  private closed = false;
  completed = 0;
  failed = 0;

  constructor(readonly name: string, private readonly attempts: number, private readonly retryDelayMs: number, private readonly logger: Logger) {}

  async add(id: string, data: T): Promise<void> {
    if (this.closed) throw new EmotionStreamError('ERR_BUS', `queue ${this.name}: the in-memory bus is closed`);
    if (this.known.has(id)) return;
    this.known.add(id);
    this.waiting.push({ id, data, attempt: 1 });
    this.pump();
  }

  consume(handler: Handler<T>, options: ConsumeOptions): Consumer {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new EmotionStreamError('ERR_CONFIG', `queue ${this.name}: concurrency must be a positive integer, got ${options.concurrency}`);
    }
    const consumer = new MemoryConsumer(handler, options.concurrency, (c) => {
      this.consumers.splice(this.consumers.indexOf(c), 1);
    });
    this.consumers.push(consumer);
    queueMicrotask(() => this.pump());
    return consumer;
  }

  /** Waiting jobs, counting those waiting out a retry delay (as Redis counts delayed jobs). */
  async depth(): Promise<number> {
    return this.waiting.length + this.retryTimers.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.all([...this.consumers].map((c) => c.close()));
  }

  /** Hands waiting jobs to consumers with room, round-robin so competing consumers share. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      this.run(consumer, this.waiting.shift()!);
    }
  }

  private pickConsumer(): MemoryConsumer<T> | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const index = (this.nextConsumer + i) % n;
      const consumer = this.consumers[index];
      if (consumer.free) {
        this.nextConsumer = (index + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }

  private run(consumer: MemoryConsumer<T>, entry: Entry<T>): void {
    consumer.active += 1;
    const running: Promise<void> = this.attempt(consumer, entry).finally(() => {
      consumer.active -= 1;
      consumer.inHand.delete(running);
      this.pump();
    });
    consumer.inHand.add(running);
  }

  private async attempt(consumer: MemoryConsumer<T>, entry: Entry<T>): Promise<void> {
    // Never run a handler synchronously inside add(): callers expect add() to only enqueue.
    await undefined;
    try {
      await consumer.handler({ id: entry.id, data: entry.data, attempt: entry.attempt });
      this.known.delete(entry.id);
      this.completed += 1;
    } catch (err) {
      this.onFailure(entry, err);
    }
  }

  private onFailure(entry: Entry<T>, err: unknown): void {
    const fields = { queue: this.name, job: entry.id, attempt: entry.attempt, err };
    if (isPoisonMessage(err) || entry.attempt >= this.attempts) {
      this.known.delete(entry.id);
      this.failed += 1;
      this.logger.error(fields, isPoisonMessage(err) ? 'poison message: job failed without retry' : `job failed after ${entry.attempt} attempts`);
      return;
    }
    this.logger.warn(fields, 'job failed, will retry');
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.waiting.push({ ...entry, attempt: entry.attempt + 1 });
      this.pump();
    }, this.retryDelayMs * 2 ** (entry.attempt - 1));
    this.retryTimers.add(timer);
  }
}

class MemoryTopic<T> implements Topic<T> {
  private readonly handlers = new Set<(data: T) => void>();

  constructor(readonly name: string, private readonly logger: Logger) {}

  async publish(data: T): Promise<void> {
    for (const handler of [...this.handlers]) {
      // Asynchronous like Redis pub/sub, so a publisher never runs subscriber code inline.
      queueMicrotask(() => {
        if (!this.handlers.has(handler)) return;
        try {
          handler(data);
        } catch (err) {
          this.logger.error({ topic: this.name, err }, 'topic subscriber threw');
        }
      });
    }
  }

  async subscribe(handler: (data: T) => void): Promise<() => Promise<void>> {
    // A wrapper per subscription, so one function subscribed twice is two subscriptions.
    const wrapped = (data: T) => handler(data);
    this.handlers.add(wrapped);
    return async () => {
      this.handlers.delete(wrapped);
    };
  }

  clear(): void {
    this.handlers.clear();
  }
}

/** Pixels are kept by reference (no copy): the point of the in-process transport. */
class MemoryFrameStore implements SharedFrameStore {
  private readonly frames = new Map<string, { pixels: Buffer; expiresAt: number }>();
  private sweeper: NodeJS.Timeout | undefined;

  async put(key: string, pixels: Buffer, ttlMs: number): Promise<void> {
    this.frames.set(key, { pixels, expiresAt: Date.now() + ttlMs });
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), FRAME_SWEEP_MS);
      this.sweeper.unref(); // never keeps a finished process alive
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const entry = this.frames.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.frames.delete(key);
      return null;
    }
    return entry.pixels;
  }

  async delete(key: string): Promise<void> {
    this.frames.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.frames.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.frames) if (entry.expiresAt <= now) this.frames.delete(key);
  }
}

class MemoryCounters implements Counters {
  private readonly counts = new Map<string, number>();
  private readonly values = new Map<string, string>();
  /** Expiry time per name (both its counter and its value), checked lazily and swept on writes. */
  private readonly expiresAt = new Map<string, number>();
  private writes = 0;

  async increment(name: string, by = 1, ttlMs?: number): Promise<number> {
    this.dropIfExpired(name);
    const next = (this.counts.get(name) ?? 0) + by;
    this.counts.set(name, next);
    this.wrote(name, ttlMs);
    return next;
  }

  async get(name: string): Promise<number> {
    this.dropIfExpired(name);
    return this.counts.get(name) ?? 0;
  }

  async setValue(name: string, value: string, ttlMs?: number): Promise<void> {
    this.dropIfExpired(name);
    this.values.set(name, value);
    if (ttlMs === undefined) this.expiresAt.delete(name);
    this.wrote(name, ttlMs);
  }

  async getValue(name: string): Promise<string | null> {
    this.dropIfExpired(name);
    return this.values.get(name) ?? null;
  }

  async delete(name: string): Promise<void> {
    this.counts.delete(name);
    this.values.delete(name);
    this.expiresAt.delete(name);
  }

  /** Like Redis: a write with a TTL sets it; a value set without one loses it, an increment keeps it. */
  private wrote(name: string, ttlMs: number | undefined): void {
    if (ttlMs !== undefined) this.expiresAt.set(name, Date.now() + ttlMs);
    // A long-lived process ends many streams: sweep now and then rather than only on reads.
    if (++this.writes % 1000 === 0) for (const key of [...this.expiresAt.keys()]) this.dropIfExpired(key);
  }

  private dropIfExpired(name: string): void {
    const at = this.expiresAt.get(name);
    if (at !== undefined && at <= Date.now()) void this.delete(name);
  }
}

/**
 * The message bus inside one process (the embedded stack): FIFO queues with competing
 * consumers and retries, microtask-delivered topics, a TTL map for frames, plain counters.
 * Nothing survives the process, so a crashed consumer's jobs are simply gone with it.
 */
export class InMemoryBus implements Bus {
  readonly transport = 'memory' as const;
  readonly frames = new MemoryFrameStore();
  readonly counters = new MemoryCounters();
  private readonly queues = new Map<string, MemoryQueue<unknown>>();
  private readonly topics = new Map<string, MemoryTopic<unknown>>();
  private readonly logger: Logger;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private closing: Promise<void> | undefined;

  constructor(options: InMemoryBusOptions = {}) {
    this.logger = (options.logger ?? silentLogger()).child({ bus: 'memory' });
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 100);
  }

  queue<T>(name: string): WorkQueue<T> {
    if (this.closing) throw new EmotionStreamError('ERR_BUS', `queue ${name}: the in-memory bus is closed`);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new MemoryQueue<unknown>(name, this.attempts, this.retryDelayMs, this.logger);
      this.queues.set(name, queue);
    }
    return queue as WorkQueue<unknown> as WorkQueue<T>;
  }

  topic<T>(name: string): Topic<T> {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = new MemoryTopic<unknown>(name, this.logger);
      this.topics.set(name, topic);
    }
    return topic as Topic<unknown> as Topic<T>;
  }

  /** Stops every consumer (waiting for jobs in hand), drops subscribers and frames. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.queues.values()].map((q) => q.close()));
      for (const topic of this.topics.values()) topic.clear();
      this.frames.close();
    })();
    return this.closing;
  }
}
