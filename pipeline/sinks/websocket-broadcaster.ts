import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { EmotionStreamError, isEmotionStreamError } from '../../common/errors.ts';
import { BroadcastClient, EncodedEvent, type BroadcasterCounters } from '../events/broadcast-client.ts';
import { CameraFilter } from '../events/camera-filter.ts';
import { selectionFromQuery, type EventSelection } from '../events/client-request.ts';
import type { EventSink } from '../events/event-sink.ts';
import { helloMessage } from '../events/server-message.ts';
import { refuseUpgrade, requestToken, type UpgradeRefusal } from '../events/upgrade-request.ts';
import type { WireEvent } from '../events/wire-event.ts';
import { silentLogger, type Logger } from '../logger.ts';

export type { BroadcasterCounters };

export interface WebSocketBroadcasterOptions {
  logger?: Logger;
  /** Unsent bytes per client above which its frame events are dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * API protection: called with the request's token (Bearer header or `?token=`); false, a throw
   * or no token refuses the connection with HTTP 401. Absent: every client is accepted.
   */
  verifyToken?: (token: string) => boolean | Promise<boolean>;
  /**
   * Called with the upgrade request's Origin header (undefined for non-browser clients); false
   * refuses with HTTP 403. A tokenless server on localhost uses it so that any web page the user
   * opens cannot read the events.
   */
  verifyOrigin?: (origin: string | undefined) => boolean;
  /** How long stop() waits for clients to answer the close handshake before cutting them off, ms. Default 2000. */
  closeTimeoutMs?: number;
  /** Heartbeat: clients that do not answer a ping within this period are cut off, ms. Default 30000; 0 disables. */
  pingIntervalMs?: number;
  /**
   * Serves plain (non-upgrade) HTTP requests on the same port (the gateway's HTTP API). A throw or
   * rejection answers 500. Absent: every plain request gets 426 pointing at the WebSocket path.
   */
  httpHandler?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface BroadcasterStartOptions {
  /** TCP port; 0 picks a free one (returned by start()). */
  port: number;
  /** Interface to bind. Default 127.0.0.1: exposing events beyond the host is an explicit choice. */
  host?: string;
  /** URL path clients connect to. Default /events. */
  path?: string;
}

const DEFAULTS = { maxBufferedBytes: 4 * 1024 * 1024, closeTimeoutMs: 2000, pingIntervalMs: 30_000 };
/** Client messages are tiny subscribe/unsubscribe objects; anything bigger is abuse. */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/**
 * Publishes wire events (version 2, as the pipeline makes them) to WebSocket clients, each
 * receiving only the cameras it chose (`?cameras=a,b` and/or subscribe/unsubscribe messages),
 * in the wire version it chose (`?v=1|2`, default 1; v1 clients never see track events) and
 * only the event types it chose (`?types=frame,track-end`, default all); see docs/events.md.
 * A slow client loses frame events (counted), never stalls the pipeline or other clients.
 *
 * Lifecycle: start() -> publish()* -> stop(). publish() before start() only tracks cameras.
 */
export class WebSocketBroadcaster implements EventSink {
  readonly name = 'websocket';
  private readonly options: Required<Omit<WebSocketBroadcasterOptions, 'verifyToken' | 'verifyOrigin' | 'logger' | 'httpHandler'>>;
  private readonly verifyToken: WebSocketBroadcasterOptions['verifyToken'];
  private readonly verifyOrigin: WebSocketBroadcasterOptions['verifyOrigin'];
  private readonly httpHandler: WebSocketBroadcasterOptions['httpHandler'];
  private readonly logger: Logger;
  private readonly clients = new Set<BroadcastClient>();
  private readonly cameras = new Set<string>();
  private readonly stats: BroadcasterCounters = { published: 0, delivered: 0, dropped: 0, badMessages: 0, rejected: 0, connections: 0 };
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private server: Server | undefined;
  private path = '/events';
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private nextClientId = 1;

  constructor(options: WebSocketBroadcasterOptions = {}) {
    this.options = {
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
      closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
    };
    this.verifyToken = options.verifyToken;
    this.verifyOrigin = options.verifyOrigin;
    this.httpHandler = options.httpHandler;
    this.logger = (options.logger ?? silentLogger()).child({ sink: 'websocket' });
  }

  /**
   * Listens for WebSocket connections.
   * @returns the port actually bound (useful with port 0).
   * @throws EmotionStreamError ERR_SINK when already started or the port cannot be bound.
   */
  async start(options: BroadcasterStartOptions): Promise<{ port: number }> {
    if (this.server || this.stopping) throw new EmotionStreamError('ERR_SINK', 'WebSocket broadcaster was already started');
    const host = options.host ?? '127.0.0.1';
    this.path = options.path ?? '/events';
    const server = createServer((req, res) => {
      if (this.httpHandler) return void this.serveHttp(this.httpHandler, req, res);
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
      res.end(`connect with a WebSocket client to ${this.path}\n`);
    });
    server.on('upgrade', (req, socket, head) => void this.onUpgrade(req, socket, head));
    await listen(server, options.port, host);
    server.on('error', (err) => this.logger.error({ err }, 'WebSocket server error'));
    this.server = server;
    if (this.options.pingIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.pingClients(), this.options.pingIntervalMs);
      this.heartbeat.unref();
    }
    const { port } = server.address() as AddressInfo;
    this.logger.info({ host, port, path: this.path }, 'WebSocket broadcaster listening');
    return { port };
  }

  /**
   * Sends one (version 2) event to every client that wants its camera and type, in the client's
   * version; never throws for a client's failure.
   */
  publish(event: WireEvent): void {
    this.stats.published += 1;
    if (event.type === 'stream-end') this.cameras.delete(event.cameraId);
    else this.cameras.add(event.cameraId);
    if (this.clients.size === 0) return;
    const encoded = new EncodedEvent(event); // serialised once per version, not once per client
    for (const client of this.clients) client.deliver(encoded, this.options.maxBufferedBytes);
  }

  handle(event: WireEvent): void {
    this.publish(event);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** A snapshot of the totals since construction. */
  get counters(): Readonly<BroadcasterCounters> {
    return { ...this.stats };
  }

  /** Cameras started and not yet ended, sorted (what a new client's hello lists). */
  get liveCameras(): string[] {
    return [...this.cameras].sort();
  }

  /**
   * Refuses new connections, closes every client with code 1001 (going away), cutting off
   * those that do not answer within closeTimeoutMs, then closes the server. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.all([...this.clients].map((client) => this.closeClient(client.ws)));
    this.wss.close();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.logger.info({ counters: this.stats }, 'WebSocket broadcaster stopped');
  }

  private closeClient(ws: WebSocket): Promise<void> {
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // A client that stopped reading never answers the close frame (it sits behind its backlog).
      const timer = setTimeout(() => ws.terminate(), this.options.closeTimeoutMs);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1001, 'server shutting down');
    });
  }

  private async serveHttp(handler: NonNullable<WebSocketBroadcasterOptions['httpHandler']>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await handler(req, res);
    } catch (err) {
      this.logger.error({ err, method: req.method }, 'HTTP handler failed');
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A client may reset while the token is checked; without a listener that would crash the process.
    socket.on('error', (err) => this.logger.debug({ err }, 'upgrade socket error'));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const outcome = (await this.refusal(req, url)) ?? selectionOf(url);
    if ('status' in outcome) {
      this.stats.rejected += 1;
      this.logger.info({ status: outcome.status, path: url.pathname, remote: req.socket.remoteAddress }, 'connection refused');
      refuseUpgrade(socket, outcome.status, outcome.body);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, url, outcome.selection));
  }

  private async refusal(req: IncomingMessage, url: URL): Promise<Refusal | undefined> {
    if (this.stopping) return { status: 503, body: 'server is shutting down\n' };
    if (url.pathname !== this.path) return { status: 404, body: `no WebSocket endpoint at ${url.pathname}; use ${this.path}\n` };
    if (this.verifyOrigin && !this.verifyOrigin(req.headers.origin)) return { status: 403, body: 'origin not allowed\n' };
    if (!this.verifyToken) return undefined;
    const token = requestToken(req, url);
    if (token === undefined) return { status: 401, body: 'missing token: send Authorization: Bearer <token> or ?token=\n' };
    try {
      if (await this.verifyToken(token)) return undefined;
    } catch (err) {
      this.logger.error({ err }, 'verifyToken threw; refusing the connection');
    }
    return { status: 401, body: 'invalid token\n' };
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, url: URL, selection: EventSelection): void {
    const id = this.nextClientId++;
    const logger = this.logger.child({ client: id, remote: req.socket.remoteAddress });
    const filter = CameraFilter.fromQuery(url.searchParams.get('cameras'));
    const client = new BroadcastClient({ ws, filter, selection, counters: this.stats, logger });
    this.clients.add(client);
    this.stats.connections += 1;
    ws.on('error', (err) => logger.warn({ err }, 'client connection error'));
    ws.on('close', (code) => {
      this.clients.delete(client);
      logger.info({ code, dropped: client.dropped }, 'client disconnected');
    });
    logger.info({ filter: filter.describe(), selection }, 'client connected');
    client.send(helloMessage(selection, this.liveCameras));
  }

  private pingClients(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.logger.warn('client missed a heartbeat; disconnecting');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }
}

type Refusal = { status: UpgradeRefusal; body: string };

// A bad `?v=` or `?types=` is refused before the upgrade: the client learns at once, not from a later error reply.
function selectionOf(url: URL): Refusal | { selection: EventSelection } {
  try {
    return { selection: selectionFromQuery(url.searchParams) };
  } catch (err) {
    if (!isEmotionStreamError(err) || err.code !== 'ERR_BAD_MESSAGE') throw err;
    return { status: 400, body: `${err.message}\n` };
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new EmotionStreamError('ERR_SINK', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err, context: { host, port } })),
    );
    server.listen(port, host, () => resolve());
  });
}
