import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmotionStreamError } from '../../common/errors.ts';
import { loadPipelineConfig } from '../../config/load.ts';

const source = { type: 'file', path: 'clip.mp4' };
const load = (mqtt: unknown) => loadPipelineConfig({ overrides: { source, mqtt } });

function configError(mqtt: unknown): string {
  try {
    load(mqtt);
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    assert.is((err as EmotionStreamError).code, 'ERR_CONFIG');
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(mqtt)} to be refused`);
}

test('mqtt is off by default; a url turns it on with the documented defaults', () => {
  assert.is(loadPipelineConfig({ overrides: { source } }).mqtt, undefined);
  const { mqtt } = load({ url: 'mqtt://broker:1883' });
  assert.equal(mqtt, {
    url: 'mqtt://broker:1883', prefix: 'emotion-stream', qos: 1, retain: true,
    eventTypes: ['stream-start', 'stream-end', 'camera-state', 'track-start', 'emotion-change', 'track-end'],
    personStateIntervalMs: 1000, maxQueued: 10_000, closeTimeoutMs: 5000,
  });
});

test('each bad mqtt field is named with a one-line reason', () => {
  const cases: [unknown, RegExp][] = [
    [{ prefix: 'x' }, /mqtt\.url: required: the broker URL/],
    [{ url: 'tcp://broker' }, /mqtt\.url: must be an mqtt:\/\/ or mqtts:\/\//],
    [{ url: 'mqtt://b', prefix: 'home/+/x' }, /mqtt\.prefix: must be topic levels/],
    [{ url: 'mqtt://b', prefix: 'home//x' }, /mqtt\.prefix: must be topic levels/],
    [{ url: 'mqtt://b', qos: 3 }, /mqtt\.qos: must be 0, 1 or 2/],
    [{ url: 'mqtt://b', ca: 'ca.pem' }, /mqtt\.ca: ca needs an mqtts:\/\/ url/],
    [{ url: 'mqtts://b', cert: 'c.pem' }, /mqtt\.key: cert and key go together/],
    [{ url: 'mqtt://b', password: 'p' }, /mqtt\.username: a password needs a username/],
    [{ url: 'mqtt://b', eventTypes: ['frames'] }, /mqtt\.eventTypes\.0: /],
    [{ url: 'mqtt://b', qso: 1 }, /mqtt\.qso: unknown key/],
  ];
  for (const [mqtt, expected] of cases) {
    const message = configError(mqtt);
    assert.match(message, expected, message);
    assert.not.match(message, /\n/);
  }
});

test('credentials in the url are enough for a password; TLS files with mqtts://', () => {
  assert.is(load({ url: 'mqtt://cam:secret@b', password: 'other' }).mqtt?.password, 'other');
  assert.is(load({ url: 'mqtts://b', ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' }).mqtt?.key, 'k.pem');
});

test.run();
