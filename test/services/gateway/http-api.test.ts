import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmotionStreamError } from '../../../common/errors.ts';
import { WebSocketBroadcaster } from '../../../pipeline/sinks/websocket-broadcaster.ts';
import type { CameraController } from '../../../pipeline/cameras/camera-types.ts';
import { tokenMatches } from '../../../services/gateway/api-token.ts';
import { createHttpApi, MAX_BODY_BYTES, type HttpApiOptions, type ReplayRequest } from '../../../services/gateway/http-api.ts';
import { OPENAPI } from '../../../services/gateway/openapi.ts';
import { WsTestClient } from '../../pipeline/events/ws-test-client.ts';
import { MemoryCameras } from './memory-cameras.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const doc = OPENAPI as Json;
const TOKEN = 'test-token-Zq9';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'http-api-')));
const media = join(root, 'media');
mkdirSync(media);
mkdirSync(join(root, 'outside'));
writeFileSync(join(media, 'clip.mp4'), 'x');
writeFileSync(join(root, 'outside', 'secret.mp4'), 'x');
symlinkSync(join(root, 'outside', 'secret.mp4'), join(media, 'escape.mp4'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// The document's schemas, compiled as OpenAPI 3.1 means them (JSON Schema 2020-12), in strict mode.
const DOC_ID = 'https://emotion-stream.test/openapi.json';
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'security']);
ajv.addSchema({ ...doc, $id: DOC_ID });
const schema = (name: string) => ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`) as ValidateFunction;

/** The response the document declares for an operation and status, following a components.responses $ref. */
function declared(path: string, method: string, status: number): Json {
  let response = doc.paths[path]?.[method]?.responses?.[String(status)] as Json | undefined;
  if (response?.$ref) response = doc.components.responses[String(response.$ref).split('/').pop()!];
  if (!response) assert.unreachable(`OpenAPI declares no ${status} for ${method.toUpperCase()} ${path}`);
  return response!;
}

/**
 * Checks a response's status and that its JSON body conforms to the document: to the schema
 * declared for the operation, or (for route-level errors: no route, wrong method) to Error.
 */
async function expectJson(res: Response, status: number, operation?: [path: string, method: string]): Promise<Json> {
  const body = (await res.json()) as Json;
  assert.is(res.status, status, JSON.stringify(body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const ref = operation ? String(declared(...operation, status).content['application/json'].schema.$ref) : '#/components/schemas/Error';
  const validate = ajv.getSchema(`${DOC_ID}${ref}`) as ValidateFunction;
  assert.ok(validate(body), `${ref}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`);
  return body;
}

interface Api {
  base: string;
  ws: string;
  cameras: MemoryCameras;
  replays: ReplayRequest[];
  call: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;
}

/** A real server: the broadcaster with the API as its httpHandler, on a free port; always stopped. */
async function withApi(body: (api: Api) => Promise<void>, options: Partial<HttpApiOptions> & { controller?: CameraController } = {}): Promise<void> {
  const cameras = new MemoryCameras();
  const replays: ReplayRequest[] = [];
  const handler = createHttpApi({
    cameras: options.controller ?? cameras,
    mediaDirs: [media],
    startReplay: (req) => (replays.push(req), cameras.startReplay(req)),
    ...options,
  });
  const token = options.token;
  const broadcaster = new WebSocketBroadcaster({ httpHandler: handler, closeTimeoutMs: 200, pingIntervalMs: 0, ...(token && { verifyToken: (t: string) => tokenMatches(t, token) }) });
  const { port } = await broadcaster.start({ port: 0 });
  const base = `http://127.0.0.1:${port}`;
  const call: Api['call'] = (path, init = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${base}${path}`, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
  };
  try {
    await body({ base, ws: `ws://127.0.0.1:${port}/events`, cameras, replays, call });
  } finally {
    await broadcaster.stop();
  }
}

const webcam = { id: 'cam1', source: { type: 'webcam', device: '/dev/video0' } };
const bearer = { authorization: `Bearer ${TOKEN}` };

test('OpenAPI: a 3.1 document with every route, method and response, and schemas that compile', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.type(doc.info.title, 'string');
  assert.type(doc.info.version, 'string');
  const expected: Record<string, Record<string, number[]>> = {
    '/healthz': { get: [200] },
    '/openapi.json': { get: [200] },
    '/cameras': { get: [200, 401, 500], post: [201, 400, 401, 403, 404, 409, 413, 415, 500] },
    '/cameras/{id}': { get: [200, 401, 404, 500], delete: [202, 204, 401, 404, 500] },
    '/replays': { post: [202, 400, 401, 403, 404, 409, 413, 415, 500] },
  };
  assert.equal(Object.keys(doc.paths).sort(), Object.keys(expected).sort());
  for (const [path, methods] of Object.entries(expected)) {
    const declaredMethods = Object.keys(doc.paths[path]).filter((k) => k !== 'parameters');
    assert.equal(declaredMethods.sort(), Object.keys(methods).sort(), path);
    for (const [method, statuses] of Object.entries(methods)) {
      assert.equal(Object.keys(doc.paths[path][method].responses).map(Number).sort(), [...statuses].sort(), `${method} ${path}`);
      for (const status of statuses) {
        const content = declared(path, method, status).content?.['application/json'];
        if (status === 204) assert.is(content, undefined);
        else assert.ok(ajv.getSchema(`${DOC_ID}${content.schema.$ref}`), `${method} ${path} ${status} schema`);
      }
    }
  }
  assert.equal(doc.components.securitySchemes.bearerAuth, { ...doc.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer' });
  assert.equal(doc.security, [{ bearerAuth: [] }]);
  assert.equal(doc.paths['/healthz'].get.security, []);
  assert.equal(doc.paths['/openapi.json'].get.security, []);
  assert.is(doc.paths['/cameras'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/CameraSpec');
  assert.is(doc.paths['/replays'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/ReplayRequest');
});

test("OpenAPI: the request schemas accept and refuse what the API's validation does", () => {
  const spec = schema('CameraSpec');
  assert.ok(spec(webcam));
  assert.ok(spec({ id: 'r.1', source: { type: 'rtsp', url: 'rtsp://cam.local/s' }, mode: 'live', resize: { width: 320, height: 240 } }));
  assert.ok(spec({ id: 'f', source: { type: 'file', path: 'clip.mp4' }, realtime: true }));
  assert.not.ok(spec({ id: 'bad id', source: { type: 'webcam' } }));
  assert.not.ok(spec({ id: 'x', source: { type: 'rtsp', url: 'http://cam' } }));
  assert.not.ok(spec({ id: 'x', source: { type: 'file' } }));
  assert.not.ok(spec({ id: 'x', source: { type: 'webcam' }, extra: 1 }));
  const replay = schema('ReplayRequest');
  assert.ok(replay({ path: 'clip.mp4', cameraId: 'c', realtime: false }));
  assert.not.ok(replay({ path: '' }));
  assert.not.ok(replay({ cameraId: 'c' }));
});

test('GET /healthz and /openapi.json answer without a token even when one is set', () =>
  withApi(async ({ call }) => {
    assert.equal(await expectJson(await call('/healthz'), 200, ['/healthz', 'get']), { ok: true });
    assert.equal(await expectJson(await call('/openapi.json'), 200, ['/openapi.json', 'get']), doc);
  }, { token: TOKEN }));

test('cameras: add, list, get, delete; Location header; RTSP passwords never echoed', () =>
  withApi(async ({ call, cameras }) => {
    assert.equal(await expectJson(await call('/cameras'), 200, ['/cameras', 'get']), { cameras: [] });
    const created = await call('/cameras', { method: 'POST', json: webcam });
    assert.is(created.headers.get('location'), '/cameras/cam1');
    const status = await expectJson(created, 201, ['/cameras', 'post']);
    assert.is(status.id, 'cam1');
    assert.is(status.state, 'connecting');
    const rtsp = await expectJson(
      await call('/cameras', { method: 'POST', json: { id: 'door', source: { type: 'rtsp', url: 'rtsp://admin:hunter2@10.0.0.5/s' } } }),
      201,
      ['/cameras', 'post'],
    );
    assert.is(rtsp.source.url, 'rtsp://admin:***@10.0.0.5/s');
    assert.is(cameras.added[1].source.type === 'rtsp' && cameras.added[1].source.transport, 'tcp'); // zod defaults applied
    cameras.setState('cam1', 'live');
    cameras.setState('door', 'error', { code: 'ERR_SOURCE_UNREACHABLE', message: 'connection refused' });
    const list = await expectJson(await call('/cameras'), 200, ['/cameras', 'get']);
    assert.equal(list.cameras.map((c: Json) => c.id), ['cam1', 'door']);
    const one = await expectJson(await call('/cameras/door'), 200, ['/cameras/{id}', 'get']);
    assert.is(one.lastError.code, 'ERR_SOURCE_UNREACHABLE');
    const del = await call('/cameras/door', { method: 'DELETE' });
    assert.is(del.status, 204);
    assert.is(await del.text(), '');
    assert.is((await expectJson(await call('/cameras/door'), 404, ['/cameras/{id}', 'get'])).error.code, 'ERR_NOT_FOUND');
    assert.is((await expectJson(await call('/cameras/door', { method: 'DELETE' }), 404, ['/cameras/{id}', 'delete'])).error.code, 'ERR_NOT_FOUND');
    await expectJson(await call('/cameras/a%2Fb'), 404, ['/cameras/{id}', 'get']);
    await expectJson(await call('/cameras/%E0%A4%A'), 404, ['/cameras/{id}', 'get']);
  }));

test('POST /cameras: duplicate id -> 409; every bad field listed -> 400', () =>
  withApi(async ({ call }) => {
    await expectJson(await call('/cameras', { method: 'POST', json: webcam }), 201, ['/cameras', 'post']);
    const dup = await expectJson(await call('/cameras', { method: 'POST', json: webcam }), 409, ['/cameras', 'post']);
    assert.is(dup.error.code, 'ERR_CONFLICT');
    const bad = { id: 'bad id!', source: { type: 'webcam', fps: -1 }, resize: { width: 4, height: 240 }, colour: 'red' };
    const invalid = await expectJson(await call('/cameras', { method: 'POST', json: bad }), 400, ['/cameras', 'post']);
    assert.is(invalid.error.code, 'ERR_CONFIG');
    for (const field of ['id:', 'source.fps:', 'resize.width:', 'colour: unknown key']) assert.ok(invalid.error.message.includes(field), invalid.error.message);
    const noSource = await expectJson(await call('/cameras', { method: 'POST', json: { id: 'x' } }), 400, ['/cameras', 'post']);
    assert.match(noSource.error.message, /source/);
    await expectJson(await call('/cameras', { method: 'POST', json: [webcam] }), 400, ['/cameras', 'post']);
    for (const device of ['/dev/zero', '../../etc/passwd', join(media, 'clip.mp4'), '/dev/video0/../zero']) {
      const refused = await expectJson(await call('/cameras', { method: 'POST', json: { id: 'cam2', source: { type: 'webcam', device } } }), 400, ['/cameras', 'post']);
      assert.is(refused.error.code, 'ERR_CONFIG');
      assert.match(refused.error.message, `source.device: must be a V4L2 capture device: /dev/video<N>, or a link in /dev/v4l/by-id/ or /dev/v4l/by-path/ (got ${JSON.stringify(device)})`);
    }
  }));

test('POST /cameras: file sources must lie in a media dir and reach the controller as real paths', () =>
  withApi(async ({ call, cameras }) => {
    const post = (id: string, path: string) => call('/cameras', { method: 'POST', json: { id, source: { type: 'file', path } } });
    await expectJson(await post('ok', 'clip.mp4'), 201, ['/cameras', 'post']);
    assert.equal(cameras.added[0].source, { type: 'file', path: join(media, 'clip.mp4') });
    for (const path of [join(root, 'outside', 'secret.mp4'), '../outside/secret.mp4', 'escape.mp4', '/etc/passwd', 'clip.mp4\0.txt']) {
      assert.is((await expectJson(await post('no', path), 403, ['/cameras', 'post'])).error.code, 'ERR_FORBIDDEN_PATH', path);
    }
    assert.is((await expectJson(await post('no', 'missing.mp4'), 404, ['/cameras', 'post'])).error.code, 'ERR_SOURCE_NOT_FOUND');
    assert.is(cameras.added.length, 1);
  }));

test('POST /replays: checked path to startReplay -> 202; outside -> 403 without starting anything', () =>
  withApi(async ({ call, replays }) => {
    const res = await call('/replays', { method: 'POST', json: { path: 'clip.mp4', cameraId: 'rep1', realtime: true } });
    assert.is(res.headers.get('location'), '/cameras/rep1');
    assert.is((await expectJson(res, 202, ['/replays', 'post'])).id, 'rep1');
    assert.equal(replays, [{ path: join(media, 'clip.mp4'), cameraId: 'rep1', realtime: true }]);
    await expectJson(await call('/replays', { method: 'POST', json: { path: join(media, 'clip.mp4') } }), 202, ['/replays', 'post']);
    assert.equal(replays[1], { path: join(media, 'clip.mp4') });
    const conflict = await call('/replays', { method: 'POST', json: { path: 'clip.mp4', cameraId: 'rep1' } });
    assert.is((await expectJson(conflict, 409, ['/replays', 'post'])).error.code, 'ERR_CONFLICT');
    for (const path of ['../outside/secret.mp4', 'escape.mp4', join(root, 'outside', 'secret.mp4'), join(root, 'outside', 'nope.mp4')]) {
      assert.is((await expectJson(await call('/replays', { method: 'POST', json: { path } }), 403, ['/replays', 'post'])).error.code, 'ERR_FORBIDDEN_PATH');
    }
    await expectJson(await call('/replays', { method: 'POST', json: { path: 'nope.mp4' } }), 404, ['/replays', 'post']);
    const invalid = await expectJson(await call('/replays', { method: 'POST', json: { path: 7, cameraId: 'a b', loop: true } }), 400, ['/replays', 'post']);
    for (const field of ['path:', 'cameraId:', 'loop: unknown key']) assert.ok(invalid.error.message.includes(field), invalid.error.message);
    assert.is(replays.length, 3);
  }));

test('POST /replays with no media dirs: every path is forbidden', () =>
  withApi(async ({ call, replays }) => {
    await expectJson(await call('/replays', { method: 'POST', json: { path: join(media, 'clip.mp4') } }), 403, ['/replays', 'post']);
    assert.is(replays.length, 0);
  }, { mediaDirs: [] }));

test('bodies: malformed JSON 400, not JSON 415, over 64 KiB 413 (declared or streamed), exactly 64 KiB accepted', () =>
  withApi(async ({ call, base }) => {
    const raw = (body: string, type = 'application/json') => call('/cameras', { method: 'POST', body, headers: { 'content-type': type } });
    assert.is((await expectJson(await raw('{"id": "x",'), 400, ['/cameras', 'post'])).error.code, 'ERR_BAD_MESSAGE');
    await expectJson(await raw(''), 400, ['/cameras', 'post']);
    await expectJson(await raw(JSON.stringify(webcam), 'text/plain'), 415, ['/cameras', 'post']);
    await expectJson(await call('/replays', { method: 'POST', body: 'path=clip.mp4' }), 415, ['/replays', 'post']);
    const big = JSON.stringify({ ...webcam, pad: 'x'.repeat(MAX_BODY_BYTES) });
    assert.is((await expectJson(await raw(big), 413, ['/cameras', 'post'])).error.code, 'ERR_BAD_MESSAGE');
    const exact = JSON.stringify(webcam).padEnd(MAX_BODY_BYTES, ' ');
    assert.is(Buffer.byteLength(exact), MAX_BODY_BYTES);
    await expectJson(await raw(exact, 'application/json; charset=utf-8'), 201, ['/cameras', 'post']);
    // chunked, no Content-Length: the limit applies while reading
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/replays`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 9; i += 1) req.write(' '.repeat(8 * 1024));
      req.end('{}');
    });
    assert.is(streamed.status, 413);
    assert.ok(schema('Error')(JSON.parse(streamed.body)));
  }));

test('unknown routes 404; wrong methods 405 with Allow', () =>
  withApi(async ({ call }) => {
    for (const path of ['/', '/camera', '/cameras/', '/cameras/a/b', '//cameras', '/events']) {
      assert.is((await expectJson(await call(path), 404)).error.code, 'ERR_NOT_FOUND', path);
    }
    const cases: [string, string, string][] = [['PUT', '/cameras', 'GET, POST'], ['POST', '/healthz', 'GET'], ['PATCH', '/cameras/x', 'GET, DELETE'], ['GET', '/replays', 'POST'], ['OPTIONS', '/cameras', 'GET, POST']];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method });
      assert.is(res.headers.get('allow'), allow);
      await expectJson(res, 405);
    }
  }));

test('token set: protected routes need the Bearer token (401 + WWW-Authenticate otherwise)', () =>
  withApi(async ({ call }) => {
    const routes: [string, string, unknown?][] = [['GET', '/cameras'], ['POST', '/cameras', webcam], ['GET', '/cameras/cam1'], ['DELETE', '/cameras/cam1'], ['POST', '/replays', { path: 'clip.mp4' }]];
    for (const [method, path, json] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }]) {
        const res = await call(path, { method, json, headers });
        assert.is(res.headers.get('www-authenticate'), 'Bearer');
        const template = path.startsWith('/cameras/') ? '/cameras/{id}' : path;
        assert.is((await expectJson(res, 401, [template, method.toLowerCase()])).error.code, 'ERR_UNAUTHORIZED');
      }
    }
    await expectJson(await call('/cameras', { method: 'POST', json: webcam, headers: bearer }), 201, ['/cameras', 'post']);
    await expectJson(await call('/cameras/cam1', { headers: bearer }), 200, ['/cameras/{id}', 'get']);
    assert.is((await call('/cameras/cam1', { method: 'DELETE', headers: bearer })).status, 204);
  }, { token: TOKEN }));

test('?token= on an HTTP route: 401 telling to use the header, even beside a good header or with no token set; open routes ignore it', async () => {
  for (const token of [TOKEN, undefined]) {
    await withApi(async ({ call }) => {
      const routes: [string, string, unknown?][] = [['GET', `/cameras?token=${TOKEN}`], ['POST', `/cameras?x=1&token=${TOKEN}`, webcam], ['DELETE', `/cameras/cam1?token=${TOKEN}`], ['POST', `/replays?token=${TOKEN}`, { path: 'clip.mp4' }]];
      for (const [method, path, json] of routes) {
        for (const headers of [{} as Record<string, string>, bearer]) {
          const res = await call(path, { method, json, headers });
          assert.is(res.headers.get('www-authenticate'), 'Bearer');
          const template = path.startsWith('/cameras/') ? '/cameras/{id}' : path.split('?')[0];
          const { error } = await expectJson(res, 401, [template, method.toLowerCase()]);
          assert.is(error.code, 'ERR_UNAUTHORIZED');
          assert.match(error.message, 'Authorization: Bearer <token>');
          assert.match(error.message, '?token= is for the WebSocket only');
        }
      }
      await expectJson(await call(`/healthz?token=${TOKEN}`), 200, ['/healthz', 'get']);
      await expectJson(await call('/cameras?tokens=1', { headers: bearer }), 200, ['/cameras', 'get']);
    }, { token });
  }
});

test('request logs never carry a token from the URL (served, refused and failed requests)', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const failing: CameraController = { list: () => { throw new Error('boom'); }, get: () => undefined, add: () => Promise.reject(new Error('boom')), remove: async () => undefined };
  await withApi(async ({ call }) => {
    assert.is((await call(`/cameras?token=${TOKEN}`)).status, 401);
    assert.is((await call(`/healthz?Token=${TOKEN}&x=1`)).status, 200);
    assert.is((await call(`/nowhere?access_token=${TOKEN}`, { headers: bearer })).status, 404);
  }, { token: TOKEN, logger });
  await withApi(async ({ call }) => {
    assert.is((await call(`/cameras?cameras=a&token=${TOKEN}`, { headers: bearer })).status, 401);
  }, { token: TOKEN, logger, controller: failing });
  assert.ok(lines.length >= 4, lines.join(''));
  for (const line of lines) assert.not.match(line, TOKEN);
  assert.ok(lines.some((line) => line.includes('/cameras?token=***')), lines.join(''));
  assert.ok(lines.some((line) => line.includes('/healthz?Token=***&x=1')), lines.join(''));
});

test('token unset: protected routes are open', () =>
  withApi(async ({ call }) => {
    await expectJson(await call('/cameras', { headers: { authorization: 'Bearer anything' } }), 200, ['/cameras', 'get']);
  }, { token: undefined }));

test('WebSocket with verifyToken = tokenMatches: refused without the token, accepted with it', () =>
  withApi(async ({ ws }) => {
    assert.is(await WsTestClient.refusedStatus(ws), 401);
    assert.is(await WsTestClient.refusedStatus(`${ws}?token=wrong`), 401);
    assert.is(await WsTestClient.refusedStatus(ws, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }), 401);
    const { client: viaHeader } = await WsTestClient.connect(ws, { headers: bearer });
    const { client: viaQuery } = await WsTestClient.connect(`${ws}?token=${TOKEN}`);
    await viaHeader.close();
    await viaQuery.close();
  }, { token: TOKEN }));

test('unexpected errors: 500 with a generic message, the detail only in the log', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const broken: CameraController = {
    list: () => {
      throw new Error('db at postgres://admin:hunter2@db failed');
    },
    get: () => undefined,
    add: () => Promise.reject(new EmotionStreamError('ERR_BUS', 'redis://:hunter2@bus down')),
    remove: async () => undefined,
  };
  await withApi(async ({ call }) => {
    const generic = { error: { code: 'ERR_INTERNAL', message: 'internal error; see the gateway log' } };
    for (const [method, json] of [['get'], ['post', webcam]] as const) {
      const res = await call('/cameras', { method, json });
      const text = await res.clone().text();
      assert.not.match(text, /hunter2/);
      assert.equal(await expectJson(res, 500, ['/cameras', method]), generic);
    }
  }, { controller: broken, logger });
  assert.is(lines.length, 2);
  assert.match(lines[0], /hunter2/);
});

test('a broadcaster httpHandler that throws answers 500 and the server keeps serving', async () => {
  let calls = 0;
  const broadcaster = new WebSocketBroadcaster({
    pingIntervalMs: 0,
    httpHandler: () => {
      calls += 1;
      throw new Error('boom');
    },
  });
  const { port } = await broadcaster.start({ port: 0 });
  try {
    for (let i = 0; i < 2; i += 1) assert.is((await fetch(`http://127.0.0.1:${port}/x`)).status, 500);
    assert.is(calls, 2);
  } finally {
    await broadcaster.stop();
  }
});

test.run();
