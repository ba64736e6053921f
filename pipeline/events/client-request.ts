import { EmotionStreamError } from '../../common/errors.ts';
import { EVENT_TYPE_SINCE, WIRE_EVENT_TYPES, WIRE_VERSIONS, type WireEventType, type WireVersion } from './wire-event.ts';

/** `"*"` as an event-type selection: every type of the client's version, including types added later. */
export const ALL_TYPES = '*';
/** The event types a client receives: every type of its version, or exactly these. */
export type TypeSelection = typeof ALL_TYPES | readonly WireEventType[];

/** What a client receives besides its cameras: the wire version and the event types. */
export interface EventSelection {
  readonly v: WireVersion;
  readonly types: TypeSelection;
}

/** A client that does not choose gets version 1 and every type: clients written for v1 keep working unchanged. */
export const DEFAULT_SELECTION: EventSelection = { v: 1, types: ALL_TYPES };

/**
 * What a WebSocket client may send. `subscribe` chooses cameras (`["*"]` = every camera) and/or
 * replaces the version and the event types; it names at least one of them. `unsubscribe` drops cameras.
 */
export type ClientRequest = SubscribeRequest | { type: 'unsubscribe'; cameras: string[] };
export interface SubscribeRequest {
  type: 'subscribe';
  cameras?: string[];
  v?: WireVersion;
  types?: TypeSelection;
}

/** Longest camera list a client may send at once; bounds work done for one message. */
const MAX_CAMERAS = 256;
const MAX_CAMERA_ID = 128;
/** A type list longer than this is abuse: there are only a handful of types. */
const MAX_TYPES = 32;
const SUBSCRIBE_FIELDS = new Set(['type', 'cameras', 'v', 'types']);
const UNSUBSCRIBE_FIELDS = new Set(['type', 'cameras']);

/**
 * Parses one text frame from a client.
 * @throws EmotionStreamError ERR_BAD_MESSAGE with a message fit to send back to the client.
 */
export function parseClientRequest(text: string): ClientRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badMessage('message is not valid JSON', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badMessage('message must be a JSON object');
  const fields = value as Record<string, unknown>;
  const { type } = fields;
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    throw badMessage(`unknown message type ${JSON.stringify(type)}; expected "subscribe" or "unsubscribe"`);
  }
  const allowed = type === 'subscribe' ? SUBSCRIBE_FIELDS : UNSUBSCRIBE_FIELDS;
  const extra = Object.keys(fields).filter((key) => !allowed.has(key));
  if (extra.length > 0) throw badMessage(`unexpected field(s): ${extra.join(', ')}`);
  if (type === 'unsubscribe') return { type, cameras: parseCameras(fields.cameras) };
  return parseSubscribe(fields);
}

function parseSubscribe(fields: Record<string, unknown>): SubscribeRequest {
  const { cameras, v, types } = fields;
  if (cameras === undefined && v === undefined && types === undefined) throw badMessage('a subscribe needs "cameras", "v" or "types"');
  const request: SubscribeRequest = { type: 'subscribe' };
  if (cameras !== undefined) request.cameras = parseCameras(cameras);
  if (v !== undefined) {
    if (!WIRE_VERSIONS.includes(v as WireVersion)) throw badMessage(`"v" must be ${WIRE_VERSIONS.join(' or ')}`);
    request.v = v as WireVersion;
  }
  if (types !== undefined) {
    if (!Array.isArray(types) || types.length === 0 || types.length > MAX_TYPES) {
      throw badMessage(`"types" must be an array of 1..${MAX_TYPES} event types, or ["*"] for every type`);
    }
    request.types = parseTypes(types);
  }
  return request;
}

/**
 * The selection asked for in an upgrade URL: `?v=1|2` (absent or empty: 1) and
 * `?types=frame,track-end` (comma separated; absent, empty or `*`: every type).
 * @throws EmotionStreamError ERR_BAD_MESSAGE (the connection is refused with HTTP 400 and this message).
 */
export function selectionFromQuery(params: URLSearchParams): EventSelection {
  const v = params.get('v') ?? '';
  const version = v === '' ? DEFAULT_SELECTION.v : WIRE_VERSIONS.find((known) => String(known) === v);
  if (version === undefined) throw badMessage(`"v" must be ${WIRE_VERSIONS.join(' or ')}, got ${JSON.stringify(v)}`);
  const names = (params.get('types') ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  return changeSelection(DEFAULT_SELECTION, { v: version, types: names.length === 0 ? ALL_TYPES : parseTypes(names) });
}

/**
 * The selection after a subscribe: `v` and `types` each replace the current value when given.
 * @throws EmotionStreamError ERR_BAD_MESSAGE when a chosen type does not exist in the resulting version
 *   (track events need v 2); the current selection is then left as it was.
 */
export function changeSelection(current: EventSelection, change: { v?: WireVersion; types?: TypeSelection }): EventSelection {
  const next: EventSelection = { v: change.v ?? current.v, types: change.types ?? current.types };
  if (next.types !== ALL_TYPES) {
    const newer = next.types.filter((type) => EVENT_TYPE_SINCE[type] > next.v);
    if (newer.length > 0) throw badMessage(`event type(s) ${newer.join(', ')} need "v" ${EVENT_TYPE_SINCE[newer[0]]} (this selection has v ${next.v})`);
  }
  return next;
}

/** Whether a client with this selection receives events of `type`. */
export function selects(selection: EventSelection, type: WireEventType): boolean {
  if (EVENT_TYPE_SINCE[type] > selection.v) return false;
  return selection.types === ALL_TYPES || selection.types.includes(type);
}

// Kept in WIRE_EVENT_TYPES order, without duplicates, so replies list types the same way whatever the client sent.
function parseTypes(names: readonly unknown[]): TypeSelection {
  if (names.includes(ALL_TYPES)) return ALL_TYPES;
  for (const name of names) {
    if (typeof name !== 'string' || !(WIRE_EVENT_TYPES as readonly string[]).includes(name)) {
      throw badMessage(`unknown event type ${JSON.stringify(name)}; expected "*" or some of ${WIRE_EVENT_TYPES.join(', ')}`);
    }
  }
  return WIRE_EVENT_TYPES.filter((type) => names.includes(type));
}

function parseCameras(cameras: unknown): string[] {
  if (!Array.isArray(cameras) || cameras.length === 0 || cameras.length > MAX_CAMERAS) {
    throw badMessage(`"cameras" must be an array of 1..${MAX_CAMERAS} camera ids`);
  }
  for (const id of cameras) {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CAMERA_ID) {
      throw badMessage(`"cameras" entries must be non-empty strings of at most ${MAX_CAMERA_ID} characters`);
    }
  }
  return cameras as string[];
}

function badMessage(message: string, cause?: unknown): EmotionStreamError {
  return new EmotionStreamError('ERR_BAD_MESSAGE', message, { cause });
}
