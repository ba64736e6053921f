import { EmotionStreamError } from '../../common/errors.ts';
import type { Logger } from '../logger.ts';
import { InMemoryBus } from './in-memory-bus.ts';
import type { Bus } from './transport.ts';

export interface ConnectBusOptions {
  transport: 'memory' | 'redis';
  /** Required for 'redis': redis://[user:pass@]host:port[/db] or rediss://. */
  redisUrl?: string;
  /** Key namespace on Redis (default 'es'). */
  prefix?: string;
  logger?: Logger;
  /** Redis: job locks and stalled-job recovery (bus.jobLockSeconds and friends); the bus's defaults without. */
  locks?: BusLockOptions;
}

/** How a dead worker's jobs are noticed and handed on (RedisBusOptions has the details). */
export interface BusLockOptions {
  lockDurationMs: number;
  lockRenewMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

/**
 * The configured bus: in-memory (one process) or Redis (fails with ERR_BUS within seconds when
 * Redis cannot be reached). Redis support is loaded only when asked for, so an embedded stack
 * never loads BullMQ.
 */
export async function connectBus(options: ConnectBusOptions): Promise<Bus> {
  if (options.transport === 'memory') return new InMemoryBus({ logger: options.logger });
  if (!options.redisUrl) {
    throw new EmotionStreamError('ERR_CONFIG', "bus transport 'redis' needs a Redis url (bus.redisUrl or EMOTION_STREAM_REDIS_URL)");
  }
  const { RedisBus } = await import('./redis-bus.ts');
  return RedisBus.connect({ url: options.redisUrl, prefix: options.prefix, logger: options.logger, ...options.locks });
}
