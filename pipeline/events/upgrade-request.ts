import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Statuses the broadcaster answers an upgrade request with when it refuses it. */
const REASONS = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' } as const;
export type UpgradeRefusal = keyof typeof REASONS;

/**
 * The API token of an upgrade request: `Authorization: Bearer <token>` first, else `?token=`
 * (browsers cannot set headers on a WebSocket). Undefined when neither is present.
 */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  return bearerHeaderToken(req.headers.authorization) ?? (url.searchParams.get('token') || undefined);
}

/** The token of an `Authorization: Bearer <token>` header value; undefined for any other value. */
export function bearerHeaderToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: UpgradeRefusal, body: string): void {
  const headers = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (status === 401) headers.push('WWW-Authenticate: Bearer');
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
