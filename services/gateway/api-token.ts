import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { EmotionStreamError } from '../../common/errors.ts';
import { bearerHeaderToken } from '../../pipeline/events/upgrade-request.ts';

/**
 * Whether a client's token equals the configured one, in time independent of where they differ
 * and of their lengths (both are hashed to 32 bytes before timingSafeEqual, which itself
 * requires equal lengths). An empty `expected` matches nothing: an empty token protects nothing.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined || expected === '') return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * The API token of an HTTP API request: `Authorization: Bearer <token>` only (a `?token=` is
 * not read: only the WebSocket upgrade accepts one, see requestToken). Undefined when absent.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  return bearerHeaderToken(req.headers.authorization);
}

/**
 * Refuses to serve the API and events beyond this host unprotected.
 * @param host the interface the gateway listens on.
 * @param token the configured API token; undefined or blank means none.
 * @throws EmotionStreamError ERR_CONFIG when `host` is not a loopback address (127.0.0.0/8, ::1,
 *   localhost) and there is no token.
 */
export function checkGatewayExposure(host: string, token: string | undefined): void {
  if (token !== undefined && token.trim() !== '') return;
  if (isLoopback(host)) return;
  throw new EmotionStreamError(
    'ERR_CONFIG',
    `the gateway listens on ${host} without an API token: set EMOTION_STREAM_API_TOKEN (or gateway.token) or listen on 127.0.0.1`,
    { context: { host } },
  );
}

/** Loopback by name or address; `0.0.0.0`, `::` and every other interface are not. */
export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h === 'localhost.') return true;
  const mapped = h.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/)?.[1]; // IPv4-mapped IPv6
  if (mapped) h = mapped;
  if (isIPv4(h)) return h.split('.')[0] === '127';
  return isIPv6(h) && expandIPv6(h) === '0:0:0:0:0:0:0:1';
}

/** Normalises the spellings of an IPv6 address (`::1`, `0:0::1`, `0000::0001`). */
function expandIPv6(h: string): string {
  const [head, tail] = h.includes('::') ? h.split('::') : [h, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((part) => String(parseInt(part, 16))).join(':');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
