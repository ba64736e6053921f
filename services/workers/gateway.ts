import { TOPICS } from '../../pipeline/bus/bus-envelope.ts';
import { WebSocketBroadcaster } from '../../pipeline/sinks/websocket-broadcaster.ts';
import type { WireEvent } from '../../pipeline/events/wire-event.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/** Default gateway listener when the config names no websocket output. */
export const DEFAULT_GATEWAY = { port: 8080, host: '127.0.0.1', path: '/events' };

/**
 * gateway worker: serves the labelled-event WebSocket to subscribers. Any number of gateways can
 * run: each receives every event from the bus's events topic.
 */
export async function startGateway({ config, bus, logger }: WorkerContext): Promise<RunningWorker & { port: number }> {
  const log = logger.child({ stage: 'gateway' });
  const broadcaster = new WebSocketBroadcaster({ logger: log });
  const { port } = await broadcaster.start(config.output.websocket ?? DEFAULT_GATEWAY);
  const unsubscribe = await bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
    void Promise.resolve(broadcaster.handle(event)).catch((err: unknown) => log.warn({ err }, 'event not broadcast'));
  });
  log.info({ port, path: config.output.websocket?.path ?? DEFAULT_GATEWAY.path }, 'gateway serving events');
  return {
    stage: 'gateway',
    port,
    async stop() {
      await unsubscribe();
      await broadcaster.stop();
    },
  };
}
