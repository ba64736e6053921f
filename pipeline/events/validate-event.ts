import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ServerMessage } from './server-message.ts';
import { WIRE_VERSION, WIRE_VERSIONS, type WireEvent, type WireEventV1, type WireVersion } from './wire-event.ts';

/** Where each version's wire contract lives; resolved from this file so it works from any working directory. */
export const EVENTS_SCHEMA_URLS: Readonly<Record<WireVersion, URL>> = {
  1: new URL('../../schema/events.v1.json', import.meta.url),
  2: new URL('../../schema/events.v2.json', import.meta.url),
};
/** The contract of the version the pipeline produces (schema/events.v2.json). */
export const EVENTS_SCHEMA_URL = EVENTS_SCHEMA_URLS[WIRE_VERSION];

/** The outcome of validating one object: the typed value, or readable errors ("/faces/0/confidence must be <= 1"). */
export type EventValidation =
  | { valid: true; value: WireEvent | WireEventV1 | ServerMessage }
  | { valid: false; errors: string[] };

export type EventValidator = (value: unknown) => EventValidation;

// Validating against the definition picked by `type` gives one precise error instead of every
// oneOf branch complaining (each schema's root oneOf accepts exactly the same objects).
const V1_EVENTS = { 'stream-start': 'streamStartEvent', frame: 'frameEvent', 'stream-end': 'streamEndEvent', 'camera-state': 'cameraStateEvent' };
const TRACK_EVENTS = { 'track-start': 'trackStartEvent', 'emotion-change': 'emotionChangeEvent', 'track-end': 'trackEndEvent' };
const SERVER_MESSAGES = { hello: 'helloMessage', subscription: 'subscriptionReply', error: 'errorReply' };
const DEFINITIONS_BY_VERSION: Record<WireVersion, Record<string, string>> = {
  1: { ...V1_EVENTS, ...SERVER_MESSAGES },
  2: { ...V1_EVENTS, ...TRACK_EVENTS, ...SERVER_MESSAGES },
};

/**
 * Compiles schema/events.v1.json and schema/events.v2.json (JSON Schema draft-07) with ajv in
 * strict mode and returns a validator for events and server messages of either version: an
 * object is checked against the schema of its own `v` (1 or 2). Compile once and reuse:
 * compiling costs milliseconds.
 * @throws if a schema file is missing or not a valid schema (a packaging bug).
 */
export function createEventValidator(): EventValidator {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const byVersion = new Map<WireVersion, Map<string, ValidateFunction>>();
  for (const v of WIRE_VERSIONS) {
    const schema = JSON.parse(readFileSync(EVENTS_SCHEMA_URLS[v], 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    const byType = new Map<string, ValidateFunction>();
    for (const [type, definition] of Object.entries(DEFINITIONS_BY_VERSION[v])) {
      byType.set(type, ajv.getSchema(`${schema.$id}#/definitions/${definition}`) as ValidateFunction);
    }
    byVersion.set(v, byType);
  }
  return (value) => {
    const fields = typeof value === 'object' && value !== null ? (value as { v?: unknown; type?: unknown }) : {};
    const byType = byVersion.get(fields.v as WireVersion);
    if (!byType) return { valid: false, errors: [`/v must be one of ${WIRE_VERSIONS.join(', ')}`] };
    const validate = typeof fields.type === 'string' ? byType.get(fields.type) : undefined;
    if (!validate) return { valid: false, errors: [`/type must be one of ${[...byType.keys()].join(', ')} (version ${String(fields.v)})`] };
    if (validate(value)) return { valid: true, value: value as WireEvent | WireEventV1 | ServerMessage };
    return { valid: false, errors: formatErrors(validate.errors ?? []) };
  };
}

function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((error) => {
    const where = error.instancePath === '' ? '(root)' : error.instancePath;
    const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
    const allowed = error.keyword === 'enum' ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
    return `${where} ${error.message ?? error.keyword}${extra}${allowed}`;
  });
}
