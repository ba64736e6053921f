import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodingFrameStore } from '../../../pipeline/frames/decoding-frame-store.ts';
import { encodeFrame } from '../../../pipeline/frames/frame-codec.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { photoFrame } from '../../helpers/photo-frame.ts';

const frame = photoFrame(2, 320, 240);

test('decodes a frame on its first read only, and keeps the pixels for later reads', () => {
  const store = new DecodingFrameStore();
  store.putEncoded('a', encodeFrame(frame, { format: 'jpeg', quality: 90 }));
  store.putEncoded('b', encodeFrame(frame, { format: 'jpeg', quality: 90 }));
  assert.is(store.decoded, 0, 'nothing decoded before a read');
  const first = store.get('a');
  assert.is(first.length, 320 * 240 * 3);
  assert.is(store.get('a'), first, 'the same pixels again, not a second decode');
  assert.is(store.decoded, 1, 'b was never read, so never decoded');
  store.delete('a');
  store.delete('b');
  assert.is(store.size, 0);
});

test('put keeps decoded pixels as given (a stage that drew on them)', () => {
  const store = new DecodingFrameStore();
  store.putEncoded('a', encodeFrame(frame, { format: 'raw' }));
  const pixels = store.get('a');
  pixels[0] = 1;
  store.put('a', pixels);
  assert.is(store.get('a')[0], 1);
  assert.is(store.decoded, 1);
});

test('a missing key is ERR_FRAME_MISSING; a corrupt one ERR_FRAME_CORRUPT, both naming the key', () => {
  const store = new DecodingFrameStore();
  store.putEncoded('cam0-x/7', Buffer.from('garbage'));
  for (const [key, code] of [['nope/1', 'ERR_FRAME_MISSING'], ['cam0-x/7', 'ERR_FRAME_CORRUPT']] as const) {
    try {
      store.get(key);
      assert.unreachable(`read ${key}`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === code, String(err));
      assert.ok(err.message.includes(key), err.message);
    }
  }
  assert.ok(store.has('cam0-x/7'), 'the damaged bytes stay for the stage to report');
});

test.run();
