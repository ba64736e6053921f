import type { EventSelection, TypeSelection } from './client-request.ts';
import { WIRE_SCHEMA, type WireVersion } from './wire-event.ts';

/**
 * Messages the WebSocket server sends on its own behalf (not pipeline events). They carry the
 * same `schema` as events and the client's version `v`, and are described in the schema of that
 * version (schema/events.v1.json, schema/events.v2.json), so a client validates everything it
 * receives against one schema. Version 1 messages keep their v1 shape exactly; version 2 ones
 * also say which event types the client receives.
 */

interface Envelope<V extends WireVersion> {
  schema: typeof WIRE_SCHEMA;
  v: V;
}

/** Sent once, right after a client connects. */
export interface HelloMessageV1 extends Envelope<1> {
  type: 'hello';
  /** Cameras live now (started and not yet ended), sorted. */
  cameras: string[];
}

/** The v2 hello also says which event types the client receives ("*": every v2 type). */
export interface HelloMessageV2 extends Omit<HelloMessageV1, 'v'>, Envelope<2> {
  types: TypeSelection;
}

/** Reply to a client message the server could not act on; the connection stays open and nothing changed. */
export interface ErrorReply extends Envelope<WireVersion> {
  type: 'error';
  code: 'ERR_BAD_MESSAGE';
  message: string;
}

/**
 * Reply to every subscribe/unsubscribe: the client's filter after the change.
 * `cameras: "*"` means every camera except those in `excluded`.
 */
export interface SubscriptionReplyV1 extends Envelope<1> {
  type: 'subscription';
  cameras: '*' | string[];
  excluded: string[];
}

/** The v2 subscription reply also says which event types the client now receives. */
export interface SubscriptionReplyV2 extends Omit<SubscriptionReplyV1, 'v'>, Envelope<2> {
  types: TypeSelection;
}

export type HelloMessage = HelloMessageV1 | HelloMessageV2;
export type SubscriptionReply = SubscriptionReplyV1 | SubscriptionReplyV2;
export type ServerMessage = HelloMessage | ErrorReply | SubscriptionReply;

/** The hello for a client with `selection`, listing the live cameras. */
export function helloMessage(selection: EventSelection, cameras: string[]): HelloMessage {
  if (selection.v === 1) return { schema: WIRE_SCHEMA, v: 1, type: 'hello', cameras };
  return { schema: WIRE_SCHEMA, v: 2, type: 'hello', cameras, types: selection.types };
}

/** The reply to a subscribe/unsubscribe: the camera filter (CameraFilter.describe()) and the selection in force. */
export function subscriptionReply(selection: EventSelection, filter: { cameras: '*' | string[]; excluded: string[] }): SubscriptionReply {
  const { cameras, excluded } = filter;
  if (selection.v === 1) return { schema: WIRE_SCHEMA, v: 1, type: 'subscription', cameras, excluded };
  return { schema: WIRE_SCHEMA, v: 2, type: 'subscription', cameras, excluded, types: selection.types };
}

/** An ERR_BAD_MESSAGE reply in the client's version. */
export function errorReply(v: WireVersion, message: string): ErrorReply {
  return { schema: WIRE_SCHEMA, v, type: 'error', code: 'ERR_BAD_MESSAGE', message };
}
