import { WIRE_SCHEMA, WIRE_VERSION } from './wire-event.ts';

/**
 * Messages the WebSocket server sends on its own behalf (not pipeline events). They carry the
 * same `schema` and `v` as events and are described in schema/events.v1.json too, so a client
 * validates everything it receives against one schema.
 */

/** Sent once, right after a client connects. */
export interface HelloMessage {
  type: 'hello';
  schema: typeof WIRE_SCHEMA;
  v: typeof WIRE_VERSION;
  /** Cameras live now (started and not yet ended), sorted. */
  cameras: string[];
}

/** Reply to a client message the server could not act on; the connection stays open. */
export interface ErrorReply {
  type: 'error';
  schema: typeof WIRE_SCHEMA;
  v: typeof WIRE_VERSION;
  code: 'ERR_BAD_MESSAGE';
  message: string;
}

/**
 * Reply to every subscribe/unsubscribe: the client's filter after the change.
 * `cameras: "*"` means every camera except those in `excluded`.
 */
export interface SubscriptionReply {
  type: 'subscription';
  schema: typeof WIRE_SCHEMA;
  v: typeof WIRE_VERSION;
  cameras: '*' | string[];
  excluded: string[];
}

export type ServerMessage = HelloMessage | ErrorReply | SubscriptionReply;

/** Adds the envelope (`schema`, `v`) to a server message body. */
export function serverMessage<T extends ServerMessage>(body: Omit<T, 'schema' | 'v'>): T {
  return { schema: WIRE_SCHEMA, v: WIRE_VERSION, ...body } as T;
}
