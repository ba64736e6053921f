import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePixelRow } from '../../../training/datasets/parse-pixel-row.ts';

test('parses space-separated bytes, tolerating repeated and trailing spaces', () => {
  const out = new Uint8Array(8);
  assert.is(parsePixelRow('0 7  255 13 ', out), 4);
  assert.equal(Array.from(out.subarray(0, 4)), [0, 7, 255, 13]);
});

test('reports the first bad value', () => {
  const out = new Uint8Array(8);
  assert.is(parsePixelRow('1 256', out), 'pixel 2 is out of range 0..255');
  assert.is(parsePixelRow('1 -2', out), 'pixel 2 is not an integer');
  assert.is(parsePixelRow('1 2.5', out), 'pixel 2 is not an integer');
  assert.is(parsePixelRow('1 2 3', new Uint8Array(2)), 'more than 2 pixels');
  assert.is(parsePixelRow('', out), 0);
});

test.run();
