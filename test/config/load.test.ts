import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envOverrides, loadPipelineConfig, loadStackConfig, type LoadConfigOptions } from '../../config/load.ts';
import { isEmotionStreamError } from '../../common/errors.ts';
import { tempDir } from '../helpers/paths.ts';

const EXAMPLES = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const tmp = tempDir('es-config-');
test.after(() => tmp.cleanup());
const file = { type: 'file', path: 'meeting.mp4' };

function write(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ERR_CONFIG message loading `options` fails with. */
function configError(options: LoadConfigOptions): string {
  try {
    loadPipelineConfig(options);
  } catch (err) {
    assert.ok(isEmotionStreamError(err), String(err));
    assert.is(err.code, 'ERR_CONFIG');
    return err.message;
  }
  return assert.unreachable(`should have failed: ${JSON.stringify(options)}`) as never;
}

test('defaults: the notebook detector (scaleFactor 1.1, minNeighbors 5, minSize 30) and the documented rest', () => {
  const config = loadPipelineConfig({ overrides: { source: file } });
  assert.equal(config.detector, {
    type: 'haar',
    cascadePath: '/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml',
    scaleFactor: 1.1,
    minNeighbors: 5,
    minSize: 30,
    concurrency: 2,
    fullDetectEvery: 10,
    liveFullDetectEvery: 10,
  });
  assert.equal(config.classifier, { maxBatchFaces: 64, backend: 'auto', tta: 'none' });
  assert.equal([config.cameraId, config.maxInFlight, config.realtime, config.mode, config.output, config.logLevel], ['cam0', 8, false, undefined, {}, 'info']);
  assert.equal(config.source, file);
});

test('a YAML file, with command-line overrides merged key by key over it', () => {
  const path = write('cam.yaml', [
    'cameraId: lobby',
    'source: { type: webcam, device: /dev/video2, fps: 15 }',
    'detector:',
    '  minNeighbors: 3',
    '  downscaleTo: 320',
    'output:',
    '  eventsJsonl: lobby.jsonl',
  ].join('\n'));
  const config = loadPipelineConfig({ file: path, overrides: { cameraId: 'lobby-2', detector: { minSize: 40, downscaleTo: undefined }, output: { websocket: { port: 0 } } } });
  assert.is(config.cameraId, 'lobby-2');
  assert.equal(config.source, { type: 'webcam', device: '/dev/video2', fps: 15 });
  assert.equal([config.detector.minNeighbors, config.detector.minSize, config.detector.downscaleTo, config.detector.scaleFactor], [3, 40, 320, 1.1]);
  assert.equal(config.output, { eventsJsonl: 'lobby.jsonl', websocket: { port: 0, host: '127.0.0.1', path: '/events' } });
});

test('layers: command defaults < file < overrides; a source of another type replaces, never merges', () => {
  const path = write('webcam.yaml', 'source: { type: webcam, device: /dev/video1, width: 1280 }\nmaxInFlight: 3\n');
  const defaults = { source: { type: 'webcam', device: '/dev/video0' }, maxInFlight: 6, output: { websocket: { port: 8765 } } };
  const live = loadPipelineConfig({ file: path, defaults });
  assert.equal([live.source, live.maxInFlight, live.output.websocket?.port], [{ type: 'webcam', device: '/dev/video1', width: 1280 }, 3, 8765]);
  assert.equal(loadPipelineConfig({ defaults }).source, { type: 'webcam', device: '/dev/video0' });
  // `replay clip.mp4 --config webcam.yaml`: the file source wins whole, no `device` grafted onto it.
  assert.equal(loadPipelineConfig({ file: path, overrides: { source: file } }).source, file);
});

test('JSON files are read too', () => {
  const path = write('c.json', JSON.stringify({ source: file, realtime: true }));
  assert.is(loadPipelineConfig({ file: path }).realtime, true);
});

test('an unknown key is ERR_CONFIG naming its full path (and the file)', () => {
  const path = write('typo.yaml', 'source: { type: file, path: a.mp4 }\ndetector:\n  scalefactor: 1.2\n');
  const message = configError({ file: path });
  assert.match(message, 'detector.scalefactor: unknown key');
  assert.match(message, path);
  assert.match(configError({ overrides: { source: file, colour: 'red' } }), 'colour: unknown key');
  assert.match(configError({ overrides: { source: { ...file, loop: true } } }), 'source.loop: unknown key');
});

test('bad values are ERR_CONFIG naming each field', () => {
  const message = configError({ overrides: { source: file, cameraId: 'front door', detector: { scaleFactor: 3 } } });
  assert.match(message, /cameraId: .*no spaces/);
  assert.match(message, /detector\.scaleFactor: .*2/);
  assert.match(configError({ overrides: { source: file, maxInFlight: 0 } }), 'maxInFlight');
  assert.match(configError({ overrides: { source: { type: 'usb' } } }), 'source.type');
  assert.match(configError({ overrides: { source: { type: 'rtsp', url: 'not a url' } } }), 'source.url');
  assert.match(configError({ overrides: {} }), 'source');
});

test('a missing or unparseable file is ERR_CONFIG naming it', () => {
  const missing = join(tmp.dir, 'nope.yaml');
  assert.match(configError({ file: missing }), `config file not found: ${missing}`);
  const broken = write('broken.yaml', 'source: { type: file\n  path: [');
  assert.match(configError({ file: broken }), `config file ${broken} cannot be parsed`);
  const list = write('list.yaml', '- source\n- detector\n');
  assert.match(configError({ file: list }), 'top level must be a mapping');
});

test('every file in config/examples parses, and the replay, webcam and rtsp examples are there', () => {
  const names = readdirSync(EXAMPLES).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const expected of ['replay.yaml', 'rtsp.yaml', 'webcam.yaml']) assert.ok(names.includes(expected), `config/examples/${expected}`);
  const types: Record<string, string> = {};
  for (const name of names) {
    // A stack file (cameras.yaml) has no single source: every file parses as a stack config.
    const config = loadStackConfig({ file: join(EXAMPLES, name) });
    if (config.source) types[name] = config.source.type;
    assert.equal([config.detector.scaleFactor, config.detector.minNeighbors, config.detector.minSize], [1.1, 5, 30], `${name} keeps the notebook detector`);
  }
  assert.equal([types['replay.yaml'], types['webcam.yaml'], types['rtsp.yaml']], ['file', 'webcam', 'rtsp']);
});

test('stack config: source optional (only capture needs one), bus and workers defaults, bad bus fields named', () => {
  const stack = loadStackConfig({});
  assert.is(stack.source, undefined);
  assert.equal([stack.bus.transport, stack.bus.prefix, stack.bus.jobLockSeconds, stack.bus.lockRenewSeconds, stack.bus.stalledCheckSeconds], ['memory', 'es', 1.5, 0.25, 0.4]);
  assert.is(stack.workers.classifierConcurrency, 16);
  try {
    loadStackConfig({ overrides: { bus: { jobLockSeconds: 0.4 } } });
    assert.unreachable('a lock renewed less often than twice per lock accepted');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.match(err.message, 'bus.lockRenewSeconds: must be at most half of jobLockSeconds (0.4)');
  }
  try {
    loadStackConfig({ overrides: { bus: { transport: 'redis', redisUrl: 'http://nope' }, workers: { detectorConcurrency: 0 } } });
    assert.unreachable('bad bus config accepted');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.match(err.message, 'bus.redisUrl: must be a redis:// or rediss:// (TLS) URL');
    assert.match(err.message, 'workers.detectorConcurrency');
  }
});

test('environment layer: EMOTION_STREAM_REDIS_URL selects the redis transport, metrics port/host from env', () => {
  const env = envOverrides({ EMOTION_STREAM_REDIS_URL: 'rediss://:secret@cache:6380/2', EMOTION_STREAM_METRICS_PORT: '9464', EMOTION_STREAM_METRICS_HOST: '0.0.0.0' });
  const config = loadStackConfig({ overrides: env });
  assert.equal(config.bus, { ...config.bus, transport: 'redis', redisUrl: 'rediss://:secret@cache:6380/2' });
  assert.equal(config.metrics, { port: 9464, host: '0.0.0.0' });
  assert.equal(envOverrides({}), { gateway: undefined, bus: undefined, metrics: undefined });
  assert.equal(loadStackConfig({ overrides: envOverrides({ EMOTION_STREAM_API_TOKEN: 'a-long-enough-token' }) }).gateway.token, 'a-long-enough-token');
  assert.match(configError({ overrides: { source: file, ...envOverrides({ EMOTION_STREAM_METRICS_PORT: 'abc' }) } }), 'metrics.port');
});

test.run();
