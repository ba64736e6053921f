import { z } from 'zod';
import { pipelineConfigSchema, sourceSchema } from '../../config/schema.ts';

/** Camera ids travel in URLs, log lines and Redis keys: the same rule as the config's cameraId. */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const cameraId = z.string().regex(CAMERA_ID_PATTERN, 'must be 1-64 letters, digits, "_", "." or "-" (no spaces)');

/** Body of POST /cameras (a CameraSpec). Unknown keys are errors, as in the config file. */
export const cameraSpecSchema = z.strictObject({
  id: cameraId.describe('camera id carried by every frame and event'),
  source: sourceSchema.describe('where frames come from; a file must lie inside a media directory'),
  mode: pipelineConfigSchema.shape.mode,
  realtime: z.boolean().optional().describe("pace file replay at the file's real frame rate"),
  resize: pipelineConfigSchema.shape.resize,
});

/** Body of POST /replays. */
export const replayRequestSchema = z.strictObject({
  path: z.string().min(1).describe('video file: absolute, or relative to the first media directory; must lie inside a media directory'),
  cameraId: cameraId.optional().describe('camera id for the replay; default: chosen by the gateway'),
  realtime: z.boolean().optional().describe("pace the replay at the file's real frame rate"),
});

/** The request schemas as JSON Schema 2020-12 (OpenAPI 3.1's dialect), so the document cannot drift from validation. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errorResponse = (description: string, headers?: object) => ({ description, ...(headers && { headers }), content: json(ref('Error')) });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
/** What every token-protected operation may also answer. */
const protectedErrors = { '401': responseRef('Unauthorized'), '500': responseRef('InternalError') };
/** What every operation with a JSON body may also answer. */
const bodyErrors = { '400': responseRef('BadRequest'), '413': responseRef('PayloadTooLarge'), '415': responseRef('UnsupportedMediaType') };

const cameraStatusSchema = {
  type: 'object',
  description: 'A camera and its health. Rates are over the last 10 s; latency is capture-to-event over the last 1000 frames.',
  required: ['id', 'source', 'state', 'since', 'inFlight', 'inputFps', 'processedFps', 'frames', 'dropped', 'reconnects', 'lastError', 'latencyMs'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: CAMERA_ID_PATTERN.source },
    source: { type: 'object', description: 'the source with any password replaced by ***' },
    state: ref('CameraState'),
    since: { type: 'number', description: 'epoch ms of the last state change (draining: when removal was asked for)' },
    inFlight: { type: 'integer', minimum: 0, description: 'frames captured and not yet finished by the sinks (at most maxInFlight); while draining, what is left to drain' },
    inputFps: { type: 'number', minimum: 0 },
    processedFps: { type: 'number', minimum: 0 },
    frames: { type: 'integer', minimum: 0 },
    dropped: { type: 'integer', minimum: 0 },
    reconnects: { type: 'integer', minimum: 0 },
    lastError: { anyOf: [ref('CameraError'), { type: 'null' }] },
    latencyMs: {
      anyOf: [
        {
          type: 'object',
          required: ['p50', 'p95', 'p99', 'count'],
          additionalProperties: false,
          properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' }, count: { type: 'integer', minimum: 0 } },
        },
        { type: 'null' },
      ],
    },
  },
};

/**
 * The gateway HTTP API as an OpenAPI 3.1 document, served at GET /openapi.json.
 * Request bodies are generated from the zod schemas the API validates with.
 */
export const OPENAPI: Readonly<Record<string, unknown>> = {
  openapi: '3.1.0',
  info: {
    title: 'emotion-stream gateway',
    version: '1.0.0',
    description:
      'Manage cameras and replays of the emotion-stream pipeline; labelled events are served on the WebSocket path ' +
      '(default /events, see docs/events.md). Errors are `{ "error": { "code", "message" } }`; a method a path does ' +
      'not support answers 405 with an Allow header. Request bodies are JSON (`Content-Type: application/json`), at most 64 KiB.',
  },
  security: [{ bearerAuth: [] }],
  paths: {
    '/healthz': {
      get: { operationId: 'health', summary: 'Liveness', security: [], responses: { '200': { description: 'the gateway is serving', content: json(ref('Health')) } } },
    },
    '/openapi.json': {
      get: { operationId: 'openapi', summary: 'This document', security: [], responses: { '200': { description: 'the OpenAPI document', content: json(ref('OpenApiDocument')) } } },
    },
    '/cameras': {
      get: { operationId: 'listCameras', summary: 'Every camera and its status', responses: { '200': { description: 'the cameras', content: json(ref('CameraList')) }, ...protectedErrors } },
      post: {
        operationId: 'addCamera',
        summary: 'Add a camera and start it',
        requestBody: { required: true, content: json(ref('CameraSpec')) },
        responses: {
          '201': { description: 'added', headers: { Location: { description: '/cameras/{id}', schema: { type: 'string' } } }, content: json(ref('CameraStatus')) },
          ...bodyErrors,
          '403': responseRef('Forbidden'),
          '404': errorResponse('the file source does not exist (ERR_SOURCE_NOT_FOUND)'),
          '409': errorResponse('a camera with this id exists, or is still draining after a DELETE (ERR_CONFLICT)'),
          ...protectedErrors,
        },
      },
    },
    '/cameras/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: CAMERA_ID_PATTERN.source } }],
      get: { operationId: 'getCamera', summary: 'One camera', responses: { '200': { description: 'the camera', content: json(ref('CameraStatus')) }, '404': responseRef('NotFound'), ...protectedErrors } },
      delete: {
        operationId: 'removeCamera',
        summary: 'Stop a camera at once; it is forgotten once its frames in flight are drained',
        description:
          'Capture stops at once and the answer does not wait for the frames already on their way through the pipeline: ' +
          'the camera stays listed in state `draining` (with `inFlight` frames left) until the sinks have finished them, or until ' +
          'the drain timeout (30 s), then GET answers 404. Asking again while it drains answers 202 again; adding a camera with ' +
          'the same id meanwhile is a 409.',
        responses: {
          '202': { description: 'capture stopped; the camera is draining (state `draining`)', headers: { Location: { description: '/cameras/{id}', schema: { type: 'string' } } }, content: json(ref('CameraStatus')) },
          '204': { description: 'the camera had already finished; it is forgotten' },
          '404': responseRef('NotFound'),
          ...protectedErrors,
        },
      },
    },
    '/replays': {
      post: {
        operationId: 'startReplay',
        summary: 'Replay a video file from a media directory',
        requestBody: { required: true, content: json(ref('ReplayRequest')) },
        responses: {
          '202': { description: 'the replay started; its camera', content: json(ref('CameraStatus')) },
          ...bodyErrors,
          '403': responseRef('Forbidden'),
          '404': errorResponse('the file does not exist (ERR_SOURCE_NOT_FOUND)'),
          '409': errorResponse('a camera with this id exists (ERR_CONFLICT)'),
          ...protectedErrors,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description:
          'Send `Authorization: Bearer <token>`. Enforced only when the gateway has an API token (EMOTION_STREAM_API_TOKEN or gateway.token); ' +
          '/healthz and /openapi.json are always open. A `?token=` in the URL is refused with 401 on every other route, token or not ' +
          '(URLs end up in logs); it is accepted only on the WebSocket, where browsers cannot set headers.',
      },
    },
    schemas: {
      CameraSpec: jsonSchema(cameraSpecSchema),
      ReplayRequest: jsonSchema(replayRequestSchema),
      CameraState: {
        type: 'string',
        enum: ['connecting', 'live', 'stalled', 'reconnecting', 'error', 'stopped', 'draining'],
        description: 'draining: removed, capture stopped, frames in flight still being finished (the API only; camera-state events never carry it)',
      },
      CameraError: {
        type: 'object',
        required: ['code', 'message', 'at'],
        additionalProperties: false,
        properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'number', description: 'epoch ms' } },
      },
      CameraStatus: cameraStatusSchema,
      CameraList: { type: 'object', required: ['cameras'], additionalProperties: false, properties: { cameras: { type: 'array', items: ref('CameraStatus') } } },
      Health: { type: 'object', required: ['ok'], additionalProperties: false, properties: { ok: { const: true } } },
      OpenApiDocument: {
        type: 'object',
        required: ['openapi', 'info', 'paths'],
        properties: { openapi: { type: 'string', pattern: '^3\\.1\\.' }, info: { type: 'object' }, paths: { type: 'object' } },
      },
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: {
              code: { type: 'string', pattern: '^ERR_[A-Z_]+$', description: 'stable code (see common/errors.ts); ERR_INTERNAL for unexpected failures' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
    responses: {
      BadRequest: errorResponse('malformed JSON or an invalid body (a webcam device that is not a camera included); the message lists every bad field (ERR_BAD_MESSAGE, ERR_CONFIG)'),
      Unauthorized: errorResponse('missing or wrong API token, or a token sent as ?token= instead of the Authorization header (ERR_UNAUTHORIZED)', {
        'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } },
      }),
      Forbidden: errorResponse('the path is outside the configured media directories (ERR_FORBIDDEN_PATH)'),
      NotFound: errorResponse('no such camera (ERR_NOT_FOUND)'),
      PayloadTooLarge: errorResponse('the body is over 64 KiB (ERR_BAD_MESSAGE)'),
      UnsupportedMediaType: errorResponse('the body is not sent as application/json (ERR_BAD_MESSAGE)'),
      InternalError: errorResponse('an unexpected failure (ERR_INTERNAL; details are in the gateway log)'),
    },
  },
};
