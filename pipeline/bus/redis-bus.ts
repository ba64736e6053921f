import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { redactUrl } from '../../common/redact-url.ts';
import { isPoisonMessage, type Bus, type BusJob, type ConsumeOptions, type Consumer, type Counters, type SharedFrameStore, type Topic, type WorkQueue } from './transport.ts';

export interface RedisBusOptions {
  /** redis://[user:pass@]host:port[/db] or rediss:// (TLS). */
  url: string;
  /** Namespace of every key (BullMQ prefix too), default 'es'. */
  prefix?: string;
  logger?: Logger;
  /** Tries per job (exponential backoff from 100 ms), default 5. */
  attempts?: number;
  /**
   * A consumer's hold on a job, renewed while it works; a dead consumer's jobs are taken over once
   * it lapses (default 1500). Must exceed the longest time a consumer's event loop is blocked plus
   * `lockRenewMs`, or a busy consumer loses its jobs to another (docs/scale-out.md, "Fail-over").
   */
  lockDurationMs?: number;
  /** How often a consumer renews the locks of the jobs in hand (default 250, at most half the lock). */
  lockRenewMs?: number;
  /** How often consumers look for jobs whose lock lapsed (default 400). */
  stalledIntervalMs?: number;
  /** Lapsed locks one job survives; one more fails it (a job that keeps killing its consumers). Default 2. */
  maxStalledCount?: number;
  /** How long `connect` waits for Redis before failing (default 4000). */
  connectTimeoutMs?: number;
}

type Settings = Required<Pick<RedisBusOptions, 'prefix' | 'attempts' | 'lockDurationMs' | 'lockRenewMs' | 'stalledIntervalMs' | 'maxStalledCount'>>;

/** How long a job id stays known after it was added, so that adding it again is a no-op. */
const DEDUP_TTL_MS = 60_000;

/** Failed jobs are kept for inspection, a day at most and at most this many per queue. */
const FAILED_JOBS_KEPT = { age: 86_400, count: 1000 };

/** Key spaces of this bus under the prefix; a queue of one of these names would share its keys. */
const RESERVED = new Set(['frame', 'counter', 'value', 'topic']);
const QUIT_TIMEOUT_MS = 2000;
/** The same connection error from many connections during one outage is logged once per window. */
const ERROR_LOG_WINDOW_MS = 10_000;

/**
 * BullMQ rejects custom ids containing ':' and ids that read as integers. Reversible, so a
 * handler sees the caller's id and equal caller ids always give equal job ids (dedup holds).
 */
export function toJobId(id: string): string {
  const escaped = id.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
  return String(Number.parseInt(escaped, 10)) === escaped ? `%i${escaped}` : escaped;
}

export function fromJobId(jobId: string): string {
  const raw = jobId.startsWith('%i') ? jobId.slice(2) : jobId;
  return raw.replace(/%(25|3A)/g, (m) => (m === '%25' ? '%' : ':'));
}

type ReportError = (source: string, err: unknown, fields?: Record<string, unknown>) => void;

/**
 * Logs Redis errors at warn, but an outage makes every connection (main, subscriber, two per
 * consumer) report the same error on each reconnect try: each message is logged once per window.
 */
function errorReporter(logger: Logger): ReportError {
  const lastLogged = new Map<string, number>();
  return (source, err, fields = {}) => {
    const message = errorMessage(err);
    const now = Date.now();
    if (now - (lastLogged.get(message) ?? 0) < ERROR_LOG_WINDOW_MS) return;
    if (lastLogged.size >= 100) lastLogged.clear();
    lastLogged.set(message, now);
    logger.warn({ source, ...fields, err }, 'Redis error (connections reconnect on their own)');
  };
}

class RedisWorkQueue<T> implements WorkQueue<T> {
  private readonly queue: Queue;
  private readonly workers = new Map<Worker, (force?: boolean) => Promise<void>>();

  constructor(readonly name: string, private readonly redis: Redis, private readonly settings: Settings, private readonly logger: Logger, private readonly report: ReportError) {
    this.queue = new Queue(name, {
      connection: redis,
      prefix: settings.prefix,
      defaultJobOptions: {
        attempts: settings.attempts,
        backoff: { type: 'exponential', delay: 100 },
        // A completed job leaves nothing behind for good (one hash per frame per queue would pile
        // up); its id stays known for a while through its deduplication key (see add).
        removeOnComplete: true,
        removeOnFail: FAILED_JOBS_KEPT,
      },
    });
    this.queue.on('error', (err) => report('queue', err, { queue: name }));
  }

  async add(id: string, data: T): Promise<void> {
    const jobId = toJobId(id);
    // The id stays known for DEDUP_TTL_MS after the job is gone (a key with that TTL), so an
    // upstream redo re-adding it (its worker lost the lock after adding) is still a no-op.
    await this.queue.add(this.name, data, { jobId, deduplication: { id: jobId, ttl: DEDUP_TTL_MS } });
  }

  consume(handler: (job: BusJob<T>) => Promise<void>, options: ConsumeOptions): Consumer {
    const inHand = new Set<Promise<void>>();
    const processor = (job: Job) => {
      const running = this.process(job, handler);
      inHand.add(running);
      return running.finally(() => inHand.delete(running));
    };
    const lockDuration = options.lockDurationMs ?? this.settings.lockDurationMs;
    const worker = new Worker(this.name, processor, {
      connection: this.redis,
      prefix: this.settings.prefix,
      concurrency: options.concurrency,
      // Short locks renewed often: a dead consumer's jobs come back within about
      // lockDuration + stalledInterval, while a live one keeps them as long as its event loop is
      // never blocked for more than lockDuration - lockRenewTime.
      lockDuration,
      lockRenewTime: Math.min(this.settings.lockRenewMs, Math.floor(lockDuration / 2)),
      stalledInterval: this.settings.stalledIntervalMs,
      // A stall may be a crashed consumer rather than the job; past this many the job fails.
      maxStalledCount: this.settings.maxStalledCount,
      // After a Redis error BullMQ would wait 15 s before fetching again; a restart takes less.
      runRetryDelay: 1000,
    });
    worker.on('error', (err) => this.report('consumer', err, { queue: this.name }));
    worker.on('stalled', (jobId) => this.logger.warn({ queue: this.name, job: fromJobId(jobId) }, 'job stalled (its consumer died?): handed to another consumer'));
    const close = async (force = false) => {
      // BullMQ's graceful close QUITs its connections, which waits as long as Redis is down; then
      // only the handlers in hand are waited for (their completions could not be recorded anyway).
      if (!force && this.redis.status !== 'ready') {
        await Promise.allSettled([...inHand]);
        force = true;
      }
      await worker.close(force).finally(() => this.workers.delete(worker));
    };
    this.workers.set(worker, close);
    return { close };
  }

  async depth(): Promise<number> {
    return this.queue.getJobCountByTypes('waiting', 'delayed', 'prioritized');
  }

  async closeWorkers(): Promise<void> {
    await Promise.allSettled([...this.workers.values()].map((close) => close()));
    this.workers.clear();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async process(job: Job, handler: (job: BusJob<T>) => Promise<void>): Promise<void> {
    const attempt = job.attemptsMade + 1;
    const id = fromJobId(job.id ?? '');
    try {
      await handler({ id, data: job.data as T, attempt });
    } catch (err) {
      const fields = { queue: this.name, job: id, attempt, err };
      if (isPoisonMessage(err)) {
        this.logger.error(fields, 'poison message: job failed without retry');
        throw new UnrecoverableError(errorMessage(err));
      }
      const attempts = job.opts.attempts ?? 1;
      if (attempt >= attempts) this.logger.error(fields, `job failed after ${attempt} attempts`);
      else this.logger.warn(fields, 'job failed, will retry');
      throw err;
    }
  }
}

/** One subscriber connection per bus, shared by every topic subscription. */
class SharedSubscriber {
  private conn: Redis | undefined;
  private readonly channels = new Map<string, { handlers: Set<(data: unknown) => void>; ready: Promise<unknown> }>();

  constructor(private readonly main: Redis, private readonly logger: Logger, private readonly report: ReportError) {}

  async subscribe(channel: string, handler: (data: unknown) => void): Promise<() => Promise<void>> {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), ready: this.connection().subscribe(channel) };
      this.channels.set(channel, entry);
    }
    const current = entry;
    current.handlers.add(handler);
    const unsubscribe = async () => {
      if (!current.handlers.delete(handler) || current.handlers.size > 0 || this.channels.get(channel) !== current) return;
      this.channels.delete(channel);
      await this.conn?.unsubscribe(channel);
    };
    try {
      await current.ready;
    } catch (err) {
      await unsubscribe().catch(() => undefined);
      throw new EmotionStreamError('ERR_BUS', `cannot subscribe to ${channel}: ${errorMessage(err)}`, { cause: err });
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.channels.clear();
    await quit(this.conn);
  }

  private connection(): Redis {
    if (!this.conn) {
      // ioredis re-subscribes every channel itself after a reconnect (autoResubscribe).
      this.conn = this.main.duplicate({ lazyConnect: false, autoResubscribe: true });
      this.conn.on('error', (err: Error) => this.report('topic subscriber', err));
      this.conn.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    }
    return this.conn;
  }

  private dispatch(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    let data: unknown;
    try {
      data = JSON.parse(message);
    } catch (err) {
      this.logger.error({ channel, err }, 'topic message is not JSON: dropped');
      return;
    }
    for (const handler of [...entry.handlers]) {
      try {
        handler(data);
      } catch (err) {
        this.logger.error({ channel, err }, 'topic subscriber threw');
      }
    }
  }
}

/** `promise`, or a rejection once `ms` have passed (the promise's own late rejection is ignored). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** QUIT when Redis answers, briefly; then drop the connection (a Redis that is down must not hang close). */
async function quit(conn: Redis | undefined): Promise<void> {
  if (!conn || conn.status === 'end') return;
  if (conn.status === 'ready') await within(conn.quit(), QUIT_TIMEOUT_MS).catch(() => undefined);
  conn.disconnect();
}

/**
 * The message bus across processes: BullMQ queues (competing consumers, retries, a dead
 * consumer's jobs taken over after its lock expires), Redis pub/sub topics, frame pixels under
 * keys with a TTL, counters as plain keys. Everything lives under `<prefix>:`.
 */
export class RedisBus implements Bus {
  readonly transport = 'redis' as const;
  readonly frames: SharedFrameStore;
  readonly counters: Counters;
  private readonly queues = new Map<string, RedisWorkQueue<unknown>>();
  private readonly topics = new Map<string, Topic<unknown>>();
  private readonly subscriber: SharedSubscriber;
  private readonly report: ReportError;
  private closing: Promise<void> | undefined;

  private constructor(private readonly redis: Redis, private readonly link: { live: boolean }, private readonly settings: Settings, private readonly logger: Logger) {
    const report = errorReporter(logger);
    this.report = report;
    this.subscriber = new SharedSubscriber(redis, logger, report);
    const key = (space: string, name: string) => `${settings.prefix}:${space}:${name}`;
    this.frames = {
      put: async (k, pixels, ttlMs) => void (await redis.set(key('frame', k), pixels, 'PX', Math.max(1, Math.ceil(ttlMs)))),
      get: (k) => redis.getBuffer(key('frame', k)),
      delete: async (k) => void (await redis.del(key('frame', k))),
    };
    const ttl = (ms: number) => Math.max(1, Math.ceil(ms));
    this.counters = {
      increment: async (name, by = 1, ttlMs) => {
        if (ttlMs === undefined) return redis.incrby(key('counter', name), by);
        const replies = await redis.multi().incrby(key('counter', name), by).pexpire(key('counter', name), ttl(ttlMs)).exec();
        const [err, value] = replies?.[0] ?? [new Error('transaction aborted'), null];
        if (err) throw err;
        return Number(value);
      },
      get: async (name) => Number((await redis.get(key('counter', name))) ?? 0),
      setValue: async (name, value, ttlMs) => void (await (ttlMs === undefined ? redis.set(key('value', name), value) : redis.set(key('value', name), value, 'PX', ttl(ttlMs)))),
      getValue: (name) => redis.get(key('value', name)),
      delete: async (name) => void (await redis.del(key('counter', name), key('value', name))),
    };
    redis.on('error', (err: Error) => report('bus', err));
  }

  /**
   * Connects, failing within `connectTimeoutMs` with ERR_BUS when Redis cannot be reached (no
   * retrying forever at start-up); once connected, every connection reconnects on its own.
   */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const where = redactUrl(options.url);
    const logger = (options.logger ?? silentLogger()).child({ bus: 'redis' });
    const timeoutMs = options.connectTimeoutMs ?? 4000;
    const link = { live: false };
    let lastError: Error | undefined;
    const redis = new Redis(options.url, {
      lazyConnect: true,
      // BullMQ workers require it; commands wait out a Redis restart instead of failing.
      maxRetriesPerRequest: null,
      connectTimeout: timeoutMs,
      // Shared by every duplicate. Before the first connection: give up (connect reports it);
      // then: retry forever, quickly; once the bus closes: give up, so nothing waits on Redis.
      retryStrategy: (times) => (link.live ? Math.min(100 * times, 2000) : null),
      ...(/^rediss:\/\//i.test(options.url) ? { tls: {} } : {}),
    });
    // Stays on a failed client: without an 'error' listener ioredis prints late errors to stderr.
    const recordError = (err: Error) => { lastError = err; };
    redis.on('error', recordError);
    try {
      await within(redis.connect(), timeoutMs);
    } catch (err) {
      redis.disconnect();
      const reason = lastError?.message ?? errorMessage(err);
      throw new EmotionStreamError('ERR_BUS', `cannot reach Redis at ${where}: ${reason}`, { cause: lastError ?? err, context: { url: where } });
    }
    redis.off('error', recordError);
    link.live = true;
    const bus = new RedisBus(redis, link, {
      prefix: options.prefix ?? 'es',
      attempts: Math.max(1, options.attempts ?? 5),
      lockDurationMs: options.lockDurationMs ?? 1500,
      lockRenewMs: options.lockRenewMs ?? 250,
      stalledIntervalMs: options.stalledIntervalMs ?? 400,
      maxStalledCount: options.maxStalledCount ?? 2,
    }, logger);
    redis.on('ready', () => logger.info({ url: where }, 'bus: reconnected to Redis'));
    return bus;
  }

  queue<T>(name: string): WorkQueue<T> {
    if (RESERVED.has(name)) throw new EmotionStreamError('ERR_CONFIG', `queue name "${name}" is reserved by the Redis bus`);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new RedisWorkQueue<unknown>(name, this.redis, this.settings, this.logger, this.report);
      this.queues.set(name, queue);
    }
    return queue as WorkQueue<unknown> as WorkQueue<T>;
  }

  topic<T>(name: string): Topic<T> {
    let topic = this.topics.get(name);
    if (!topic) {
      const channel = `${this.settings.prefix}:topic:${name}`;
      topic = {
        name,
        publish: async (data) => void (await this.redis.publish(channel, JSON.stringify(data))),
        subscribe: (handler) => this.subscriber.subscribe(channel, handler),
      };
      this.topics.set(name, topic);
    }
    return topic as Topic<T>;
  }

  /** Closes consumers (waiting for jobs in hand), then queues, then connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.link.live = false;
      const queues = [...this.queues.values()];
      await Promise.allSettled(queues.map((q) => q.closeWorkers()));
      await Promise.allSettled(queues.map((q) => q.close()));
      await this.subscriber.close();
      await quit(this.redis);
    })();
    return this.closing;
  }
}
