import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadStackConfig } from '../../config/load.ts';
import { isEmotionStreamError } from '../../common/errors.ts';

function configError(bus: Record<string, unknown>): string {
  try {
    loadStackConfig({ overrides: { bus } });
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_CONFIG', String(err));
    return err.message;
  }
  throw new Error(`bus ${JSON.stringify(bus)} was accepted`);
}

test('frames go on the bus as JPEG at quality 90 unless configured otherwise', () => {
  const { bus } = loadStackConfig({});
  assert.is(bus.frameEncoding, 'jpeg');
  assert.is(bus.jpegQuality, 90);
  const raw = loadStackConfig({ overrides: { bus: { frameEncoding: 'raw', jpegQuality: 70 } } }).bus;
  assert.is(raw.frameEncoding, 'raw');
  assert.is(raw.jpegQuality, 70);
});

test('an unknown encoding or a quality outside 1-100 is ERR_CONFIG naming the field', () => {
  assert.match(configError({ frameEncoding: 'webp' }), /bus\.frameEncoding/);
  for (const jpegQuality of [0, 101, 90.5, '90']) assert.match(configError({ jpegQuality }), /bus\.jpegQuality/);
});

test.run();
