import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { formatIssues } from '../../config/load.ts';
import { EmotionStreamError, isEmotionStreamError, type ErrorCode } from '../../common/errors.ts';
import { redactQueryToken } from '../../common/redact-query-token.ts';
import { silentLogger, type Logger } from '../../pipeline/logger.ts';
import type { CameraController, CameraStatus } from '../../pipeline/cameras/camera-types.ts';
import { bearerToken, tokenMatches } from './api-token.ts';
import { resolveMediaPath } from './media-path.ts';
import { OPENAPI, cameraSpecSchema, replayRequestSchema } from './openapi.ts';

/** What POST /replays asks the gateway to start; `path` is already resolved inside a media directory. */
export interface ReplayRequest {
  path: string;
  cameraId?: string;
  realtime?: boolean;
}

export interface HttpApiOptions {
  /** The cameras the API lists, adds and removes. */
  cameras: CameraController;
  /** Directories file sources and replays may read from (none: every file path is refused). */
  mediaDirs: string[];
  /** API token: when set (non-blank), every route but /healthz and /openapi.json needs `Authorization: Bearer <token>` (never `?token=`, which is refused on every route but those). */
  token?: string;
  logger?: Logger;
  /** Starts a replay of an already-checked file; rejects with EmotionStreamErrors (ERR_CONFLICT, ...). */
  startReplay: (req: ReplayRequest) => Promise<CameraStatus>;
}

/** A request handler that never rejects: every failure becomes a JSON error response. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Request bodies are small JSON objects; anything bigger is a mistake or abuse. */
export const MAX_BODY_BYTES = 64 * 1024;

/** How coded errors surface over HTTP; any other failure is a 500 with a generic message. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_CONFIG: 400,
  ERR_USAGE: 400,
  ERR_BAD_MESSAGE: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN_PATH: 403,
  ERR_NOT_FOUND: 404,
  ERR_SOURCE_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
};

/** A protocol-level failure with its own status (405, 413, 415) and headers. */
class HttpError extends EmotionStreamError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Operation = (req: IncomingMessage, id: string) => Promise<Reply>;
interface Route {
  pattern: RegExp;
  /** Open without a token (probes, API discovery). */
  open?: boolean;
  methods: Record<string, Operation>;
}

/**
 * The gateway's HTTP API (see openapi.ts for the contract): cameras, replays, health and the
 * OpenAPI document. Mount it as the WebSocketBroadcaster's `httpHandler`.
 */
export function createHttpApi(options: HttpApiOptions): HttpHandler {
  const { cameras, mediaDirs, startReplay } = options;
  const token = options.token?.trim() ? options.token : undefined;
  const logger = (options.logger ?? silentLogger()).child({ component: 'http-api' });
  const openapiJson = JSON.stringify(OPENAPI); // serialised once: the document never changes

  const routes: Route[] = [
    { pattern: /^\/healthz$/, open: true, methods: { GET: async () => ({ status: 200, body: { ok: true } }) } },
    { pattern: /^\/openapi\.json$/, open: true, methods: { GET: async () => ({ status: 200, body: openapiJson }) } },
    {
      pattern: /^\/cameras$/,
      methods: {
        GET: async () => ({ status: 200, body: { cameras: cameras.list() } }),
        POST: async (req) => {
          const spec = parseBody(cameraSpecSchema, await readJson(req), 'invalid camera');
          if (spec.source.type === 'file') spec.source = { ...spec.source, path: resolveMediaPath(spec.source.path, mediaDirs) };
          const status = await cameras.add(spec);
          return { status: 201, body: status, headers: { Location: cameraUrl(status.id) } };
        },
      },
    },
    {
      pattern: /^\/cameras\/([^/]+)$/,
      methods: {
        GET: async (_req, id) => ({ status: 200, body: cameras.get(id) ?? notFound(id) }),
        // Answers at once: 202 with the camera draining its frames in flight, 204 when it had already finished.
        DELETE: async (_req, id) => {
          const status = (await cameras.remove(id)) ?? notFound(id);
          return status.state === 'draining' ? { status: 202, body: status, headers: { Location: cameraUrl(id) } } : { status: 204 };
        },
      },
    },
    {
      pattern: /^\/replays$/,
      methods: {
        POST: async (req) => {
          const body = parseBody(replayRequestSchema, await readJson(req), 'invalid replay request');
          const replay: ReplayRequest = { path: resolveMediaPath(body.path, mediaDirs) };
          if (body.cameraId !== undefined) replay.cameraId = body.cameraId;
          if (body.realtime !== undefined) replay.realtime = body.realtime;
          const status = await startReplay(replay);
          return { status: 202, body: status, headers: { Location: cameraUrl(status.id) } };
        },
      },
    },
  ];

  return async (req, res) => {
    const method = req.method ?? 'GET';
    const path = requestPath(req);
    try {
      let id = '';
      const route = routes.find((r) => {
        const match = r.pattern.exec(path);
        if (match) id = match[1] ?? '';
        return match !== null;
      });
      if (!route) throw new EmotionStreamError('ERR_NOT_FOUND', `no route ${path}; see /openapi.json`);
      if (!route.open) checkToken(req, token);
      const operation = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
      if (!operation) {
        const allow = Object.keys(route.methods).join(', ');
        throw new HttpError(405, 'ERR_BAD_MESSAGE', `${method} is not allowed on ${path}; allowed: ${allow}`, { Allow: allow });
      }
      const reply = await operation(req, decodeId(id));
      send(res, reply.status, reply.body, reply.headers);
      logger.debug({ method, url: redactQueryToken(req.url ?? '/'), status: reply.status }, 'request served');
    } catch (err) {
      sendError(res, err, { method, url: redactQueryToken(req.url ?? '/'), logger });
    }
  };
}

/**
 * Only the Authorization header carries the API token on HTTP routes: a token in the URL ends
 * up in access logs, proxies and browser history. `?token=` is refused even beside a good header
 * or on a gateway without a token, so a client learns at once; it stays for the WebSocket only
 * (browsers cannot set headers there).
 */
function checkToken(req: IncomingMessage, token: string | undefined): void {
  const challenge = { 'WWW-Authenticate': 'Bearer' };
  if (hasQueryToken(req.url ?? '/')) {
    throw new HttpError(401, 'ERR_UNAUTHORIZED', 'the API token is not accepted in the URL (?token= is for the WebSocket only): send it as Authorization: Bearer <token>', challenge);
  }
  if (token !== undefined && !tokenMatches(bearerToken(req), token)) {
    throw new HttpError(401, 'ERR_UNAUTHORIZED', 'missing or wrong API token: send Authorization: Bearer <token>', challenge);
  }
}

function hasQueryToken(target: string): boolean {
  const query = target.split('#', 1)[0].split('?').slice(1).join('?');
  return new URLSearchParams(query).has('token');
}

/** The request target's path, as sent (ids are percent-decoded by their routes); no URL parsing surprises. */
function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split(/[?#]/, 1)[0];
}

/** The JSON body of a request, refusing other content types, oversized bodies and malformed JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  // Requiring application/json makes a browser preflight cross-origin posts (which this API does
  // not answer), so a web page cannot drive a gateway on localhost with a form or text/plain post.
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new HttpError(415, 'ERR_BAD_MESSAGE', 'send the body as JSON with Content-Type: application/json');
  }
  const text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new EmotionStreamError('ERR_BAD_MESSAGE', `malformed JSON body: ${(cause as Error).message}`, { cause });
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, 'ERR_BAD_MESSAGE', `request body is over ${limit} bytes`, { Connection: 'close' });
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep consuming (and discarding) past the limit: destroying the request here would reset
      // the connection before the client reads the 413.
      if (size > limit) return reject(tooLarge());
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (cause) => reject(new EmotionStreamError('ERR_BAD_MESSAGE', 'request body was not received', { cause })));
    req.on('close', () => reject(new EmotionStreamError('ERR_BAD_MESSAGE', 'request body was cut off')));
  });
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new EmotionStreamError('ERR_CONFIG', `${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not valid percent-encoding: no camera has such an id, the route answers 404
  }
}

function notFound(id: string): never {
  throw new EmotionStreamError('ERR_NOT_FOUND', `no camera ${JSON.stringify(id)}`, { context: { cameraId: id } });
}

function cameraUrl(id: string): string {
  return `/cameras/${encodeURIComponent(id)}`;
}

/** Sends JSON (a pre-serialised string is sent as is); no body for 204. */
function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers };
  if (body === undefined) {
    res.writeHead(status, common).end();
    return;
  }
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(payload)), ...common });
  res.end(payload);
}

/** `url` is the request target with any token redacted: the log gets it, never the token. */
function sendError(res: ServerResponse, err: unknown, { method, url, logger }: { method: string; url: string; logger: Logger }): void {
  const status = err instanceof HttpError ? err.status : isEmotionStreamError(err) ? STATUS_BY_CODE[err.code] : undefined;
  if (status === undefined || !isEmotionStreamError(err)) {
    // Details (paths, hosts, stack) stay in the log; the client learns only that it failed.
    logger.error({ err, method, url }, 'request failed');
    if (res.headersSent) res.destroy();
    else send(res, 500, { error: { code: 'ERR_INTERNAL', message: 'internal error; see the gateway log' } });
    return;
  }
  logger.debug({ method, url, status, code: err.code, reason: err.message }, 'request refused');
  if (res.headersSent) return void res.destroy();
  send(res, status, { error: { code: err.code, message: err.message } }, err instanceof HttpError ? err.headers : {});
}
