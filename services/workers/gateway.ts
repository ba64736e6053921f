import { TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import { WebSocketBroadcaster } from '../../pipeline/sinks/websocket-broadcaster.ts';
import type { WireEvent } from '../../pipeline/events/wire-event.ts';
import { CameraManager } from '../cameras/camera-manager.ts';
import { createHttpApi } from '../gateway/http-api.ts';
import { checkGatewayExposure, isLoopback, tokenMatches } from '../gateway/api-token.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/** Default gateway listener when the config names no websocket output. */
export const DEFAULT_GATEWAY = { port: 8080, host: '127.0.0.1', path: '/events' };

export interface GatewayWorker extends RunningWorker {
  port: number;
  cameras: CameraManager;
}

/**
 * gateway worker: the labelled-event WebSocket, the HTTP API for cameras (OpenAPI at
 * /openapi.json) and the cameras it runs (from the config's `cameras`, and added through the
 * API). Several gateways can serve events (each receives every event from the bus); cameras
 * belong to the gateway that was asked for them. Without an API token it refuses to listen
 * beyond the loopback interface.
 */
export async function startGateway(ctx: WorkerContext): Promise<GatewayWorker> {
  const { config, bus, logger } = ctx;
  const log = logger.child({ stage: 'gateway' });
  const listen = { ...DEFAULT_GATEWAY, ...config.output.websocket };
  const token = config.gateway.token;
  checkGatewayExposure(listen.host, token);
  const cameras = await new CameraManager({ ...ctx, logger: log }).start();
  const api = createHttpApi({
    cameras, mediaDirs: config.gateway.mediaDirs, token, logger: log,
    startReplay: ({ path, cameraId, realtime }) => cameras.add({
      id: cameraId ?? `replay-${Date.now().toString(36)}`, source: { type: 'file', path }, mode: 'replay', realtime,
    }),
  });
  const broadcaster = new WebSocketBroadcaster({
    logger: log, httpHandler: api,
    // With a token the token decides; without one (loopback only) browsers must come from a local page too.
    ...(token ? { verifyToken: (given: string) => tokenMatches(given, token) } : { verifyOrigin: isLocalOrigin }),
  });
  const { port } = await broadcaster.start(listen);
  const unsubscribe = await bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
    void Promise.resolve(broadcaster.handle(event)).catch((err: unknown) => log.warn({ err }, 'event not broadcast'));
  });
  log.info({ port, host: listen.host, path: listen.path, auth: token ? 'bearer token' : 'none (loopback only)', cameras: cameras.list().length }, 'gateway serving events and the camera API');
  return {
    stage: 'gateway',
    port,
    cameras,
    async stop() {
      await cameras.stop();
      await unsubscribe();
      await broadcaster.stop();
    },
  };
}

/** No Origin (a non-browser client) or a page served from this machine. */
function isLocalOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return isLoopback(new URL(origin).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}
