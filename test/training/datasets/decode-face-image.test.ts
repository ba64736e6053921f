import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { decodeFaceImage } from '../../../training/datasets/decode-face-image.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, writeCorrupt, writeImage } from './helpers/face-fixtures.ts';

const tmp = tempDir('es-decode-');
test.after(() => tmp.cleanup());

test('png round trip keeps every pixel', () => {
  const pixels = facePixels(48, 3);
  const file = join(tmp.dir, 'face.png');
  writeImage(file, pixels, 48, 48);
  assert.equal(Array.from(decodeFaceImage(file, 48)), Array.from(pixels));
  assert.equal(Array.from(decodeFaceImage(readFileSync(file), 48)), Array.from(pixels), 'bytes input decodes the same');
});

test('colour images are converted to gray', () => {
  const pixels = facePixels(48, 9);
  const file = join(tmp.dir, 'colour.bmp');
  writeImage(file, pixels, 48, 48, true);
  assert.equal(Array.from(decodeFaceImage(file, 48)), Array.from(pixels));
});

test('shrinking averages pixel blocks (INTER_AREA)', () => {
  // 4x4 image of 2x2 blocks -> 2x2 image of the block means.
  const src = Uint8Array.from([10, 20, 100, 100, 30, 40, 100, 100, 0, 0, 200, 202, 0, 0, 204, 206]);
  const file = join(tmp.dir, 'blocks.png');
  writeImage(file, src, 4, 4);
  assert.equal(Array.from(decodeFaceImage(file, 2)), [25, 100, 0, 203]);
});

test('growing interpolates and non-square inputs are stretched to size x size', () => {
  const file = join(tmp.dir, 'wide.png');
  writeImage(file, new Uint8Array(10 * 30).fill(77), 10, 30);
  const out = decodeFaceImage(file, 48);
  assert.is(out.length, 48 * 48);
  assert.ok(out.every((v) => v === 77));
});

test('unreadable inputs throw a reason', () => {
  const corrupt = join(tmp.dir, 'corrupt.jpg');
  writeCorrupt(corrupt);
  assert.throws(() => decodeFaceImage(corrupt, 48), /not a decodable image/);
  const empty = join(tmp.dir, 'empty.png');
  writeFileSync(empty, '');
  assert.throws(() => decodeFaceImage(empty, 48), /empty file/);
  assert.throws(() => decodeFaceImage(join(tmp.dir, 'missing.png'), 48), /ENOENT/);
});

test.run();
