import type { StackConfig } from '../config/schema.ts';
import type { Logger } from '../pipeline/logger.ts';
import { startStack, type BusRunSummary, type StageName } from './stack.ts';

export interface RunStackOptions {
  logger: Logger;
  /** Called once every worker is up (the gateway's port, for example). */
  onReady?: (info: { transport: string; stages: readonly StageName[] }) => void;
}

/**
 * Runs stage workers until there is nothing left to do or a signal arrives. With a capture of a
 * file, the stack stops once the broadcaster has closed that stream and resolves with its
 * summary; otherwise it runs until SIGINT/SIGTERM, then drains in flow order and resolves null.
 */
export async function runStack(config: StackConfig, stages: readonly StageName[], options: RunStackOptions): Promise<BusRunSummary | null> {
  const { logger } = options;
  const stack = await startStack(config, stages, logger);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping: draining work in hand');
    stopping ??= stack.stop();
    return stopping;
  };
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => { signalled = resolve; });
  const onSignal = (name: NodeJS.Signals) => { void stop(name).finally(signalled); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    logger.info({ transport: stack.bus.transport, stages, pid: process.pid }, 'workers ready');
    options.onReady?.({ transport: stack.bus.transport, stages });
    if (stack.capture) {
      const summary = await Promise.race([stack.capture.done, signal.then(() => stack.capture!.done)]);
      await stop('stream closed');
      return summary;
    }
    await signal;
    return null;
  } catch (err) {
    logger.error({ err }, 'stack failed');
    await stop('error');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
