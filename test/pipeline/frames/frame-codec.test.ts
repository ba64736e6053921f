import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame, frameEncodingOf } from '../../../pipeline/frames/frame-codec.ts';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { meanAbsError, photoFrame } from '../../helpers/photo-frame.ts';

const frame = photoFrame(1);

function assertCorrupt(bytes: Buffer, key: string, why: RegExp): void {
  try {
    decodeFrame(bytes, key);
    assert.unreachable('decoded a damaged frame');
  } catch (err) {
    assert.ok(isEmotionStreamError(err) && err.code === 'ERR_FRAME_CORRUPT', String(err));
    assert.ok(err.message.includes(`frame ${key}`), err.message);
    assert.match(err.message, why);
    assert.is(err.context.key, key);
  }
}

test('raw: exact pixels back, as a view of the stored bytes', () => {
  const bytes = encodeFrame(frame, { format: 'raw' });
  assert.is(bytes.length, 640 * 480 * 3 + 20);
  const back = decodeFrame(bytes, 'cam/1');
  assert.equal([back.width, back.height], [640, 480]);
  assert.ok(back.pixels.equals(frame.pixels));
  assert.is(back.pixels.buffer, bytes.buffer, 'raw decoding copies nothing');
});

test('jpeg at quality 90: a fraction of the bytes, pixels within a small mean error', () => {
  const bytes = encodeFrame(frame, { format: 'jpeg', quality: 90 });
  assert.ok(bytes.length < frame.pixels.length / 10, `${bytes.length} bytes`);
  const back = decodeFrame(bytes, 'cam/2');
  assert.equal([back.width, back.height], [640, 480]);
  const mae = meanAbsError(back.pixels, frame.pixels);
  assert.ok(mae < 3, `mean absolute error ${mae}`);
  const low = encodeFrame(frame, { format: 'jpeg', quality: 30 });
  assert.ok(low.length < bytes.length, 'lower quality, fewer bytes');
});

test('damaged bytes: ERR_FRAME_CORRUPT naming the frame key and what is wrong', () => {
  const jpeg = encodeFrame(frame, { format: 'jpeg', quality: 90 });
  assertCorrupt(Buffer.from('not a frame at all'), 'cam/3', /no frame header/);
  assertCorrupt(jpeg.subarray(0, jpeg.length - 100), 'cam/4', /checksum/);
  const flipped = Buffer.from(jpeg);
  flipped[jpeg.length >> 1] ^= 0xff;
  assertCorrupt(flipped, 'cam/5', /checksum/);
  const unknown = Buffer.from(jpeg);
  unknown[4] = 9;
  assertCorrupt(unknown, 'cam/6', /unknown encoding 9/);
  const wrongSize = Buffer.from(jpeg);
  wrongSize.writeUInt32LE(320, 8);
  assertCorrupt(wrongSize, 'cam/7', /decodes to 640x480, header says 320x480/);
});

test('a frame whose pixels do not match its size is refused at encoding (ERR_FRAME_SHAPE)', () => {
  for (const encoding of [{ format: 'raw' }, { format: 'jpeg', quality: 90 }] as const) {
    try {
      encodeFrame({ pixels: Buffer.alloc(10), width: 4, height: 4 }, encoding);
      assert.unreachable('encoded a malformed frame');
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_FRAME_SHAPE', String(err));
    }
  }
});

test('frameEncodingOf: the config fields as an encoding', () => {
  assert.equal(frameEncodingOf({ frameEncoding: 'jpeg', jpegQuality: 75 }), { format: 'jpeg', quality: 75 });
  assert.equal(frameEncodingOf({ frameEncoding: 'raw', jpegQuality: 75 }), { format: 'raw' });
});

test.run();
