import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import { redactQueryToken } from '../../common/redact-query-token.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

export interface MetricsServerOptions {
  /** TCP port; 0 = any free port (the bound one is returned). */
  port: number;
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 in containers). */
  host?: string;
  metrics: WorkerMetrics;
  /** Liveness for GET /healthz: true -> 200 `ok`, false or a throw -> 503 (default: always healthy). */
  health?: () => boolean | Promise<boolean>;
  logger?: Logger;
}

export interface MetricsServer {
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/**
 * Serves a worker's metrics over HTTP: GET /metrics (Prometheus text format), GET /healthz
 * (200 `ok` or 503 `unhealthy`); anything else is 404. HEAD is answered like GET, without a
 * body. A port already in use fails start-up with ERR_CONFIG.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger();
  const server = createServer((req, res) => {
    handle(req, res, options, logger).catch((err: unknown) => {
      logger.error({ err, url: redactQueryToken(req.url ?? '/') }, 'metrics request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, options.port, host));
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After start-up an error (rare: e.g. EMFILE on accept) is logged; the worker keeps running.
  server.on('error', (err) => logger.error({ err }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, 'metrics on /metrics');

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch and Prometheus keep connections alive; without this close() waits for their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions, logger: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (path === '/metrics') return send(res, 200, options.metrics.contentType, await options.metrics.render());
  if (path === '/healthz') {
    const healthy = await isHealthy(options.health, logger);
    return send(res, healthy ? 200 : 503, 'text/plain; charset=utf-8', healthy ? 'ok\n' : 'unhealthy\n');
  }
  send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
}

async function isHealthy(health: MetricsServerOptions['health'], logger: Logger): Promise<boolean> {
  if (!health) return true;
  try {
    return (await health()) === true;
  } catch (err) {
    logger.warn({ err }, 'health check threw; reporting unhealthy');
    return false;
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): EmotionStreamError {
  const context = { port, host, errno: err.code };
  if (err.code === 'EADDRINUSE') {
    return new EmotionStreamError('ERR_CONFIG',
      `metrics port ${port} on ${host} is in use (another worker or program listens there): pick another --metrics-port / EMOTION_STREAM_METRICS_PORT, or 0 for any free port`,
      { cause: err, context });
  }
  if (err.code === 'EACCES') {
    return new EmotionStreamError('ERR_CONFIG', `metrics port ${port} on ${host} needs privileges this process lacks: use a port above 1023`, { cause: err, context });
  }
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new EmotionStreamError('ERR_CONFIG', `metrics host ${host} is not an address of this machine (EMOTION_STREAM_METRICS_HOST / --metrics-host)`, { cause: err, context });
  }
  return new EmotionStreamError('ERR_CONFIG', `metrics server could not listen on ${host}:${port}: ${err.message}`, { cause: err, context });
}
