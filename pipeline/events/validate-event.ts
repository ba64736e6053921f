import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ServerMessage } from './server-message.ts';
import type { WireEvent } from './wire-event.ts';

/** Where the wire contract lives; resolved from this file so it works from any working directory. */
export const EVENTS_SCHEMA_URL = new URL('../../schema/events.v1.json', import.meta.url);

/** The outcome of validating one object: the typed value, or readable errors ("/faces/0/confidence must be <= 1"). */
export type EventValidation =
  | { valid: true; value: WireEvent | ServerMessage }
  | { valid: false; errors: string[] };

export type EventValidator = (value: unknown) => EventValidation;

// Validating against the definition picked by `type` gives one precise error instead of six
// oneOf branches each complaining (the root schema's oneOf accepts exactly the same objects).
const DEFINITION_BY_TYPE: Record<string, string> = {
  'stream-start': 'streamStartEvent',
  frame: 'frameEvent',
  'stream-end': 'streamEndEvent',
  'camera-state': 'cameraStateEvent',
  hello: 'helloMessage',
  subscription: 'subscriptionReply',
  error: 'errorReply',
};

/**
 * Compiles schema/events.v1.json (JSON Schema draft-07) with ajv in strict mode and returns a
 * validator for events and server messages. Compile once and reuse: compiling costs milliseconds.
 * @throws if the schema file is missing or not a valid schema (a packaging bug).
 */
export function createEventValidator(): EventValidator {
  const schema = JSON.parse(readFileSync(EVENTS_SCHEMA_URL, 'utf8')) as { $id: string };
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addSchema(schema);
  const byType = new Map<string, ValidateFunction>();
  for (const [type, definition] of Object.entries(DEFINITION_BY_TYPE)) {
    byType.set(type, ajv.getSchema(`${schema.$id}#/definitions/${definition}`) as ValidateFunction);
  }
  return (value) => {
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    const validate = typeof type === 'string' ? byType.get(type) : undefined;
    if (!validate) return { valid: false, errors: [`/type must be one of ${Object.keys(DEFINITION_BY_TYPE).join(', ')}`] };
    if (validate(value)) return { valid: true, value: value as WireEvent | ServerMessage };
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
