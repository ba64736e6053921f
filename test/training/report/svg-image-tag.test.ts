import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { svgImageTag } from '../../../training/report/svg-image-tag.ts';
import { parseXml } from './xml-tree.ts';

const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400"><text>é &amp; ü</text></svg>';

test('embeds the SVG as a base64 data URI that decodes to the same UTF-8 text', () => {
  const img = parseXml(svgImageTag(svg, 'chart'));
  assert.is(img.name, 'img');
  const b64 = img.attrs.src.replace('data:image/svg+xml;base64,', '');
  assert.is(Buffer.from(b64, 'base64').toString('utf8'), svg);
});

test('carries the SVG size and an escaped alt text', () => {
  const img = parseXml(svgImageTag(svg, '<script> & "quotes"'));
  assert.is(img.attrs.width, '640');
  assert.is(img.attrs.height, '400');
  assert.is(img.attrs.alt, '<script> & "quotes"');
  assert.not.match(svgImageTag(svg, '<script>'), /<script/);
});

test('omits the size when the SVG has none', () => {
  const img = parseXml(svgImageTag('<svg xmlns="http://www.w3.org/2000/svg"></svg>', 'x'));
  assert.is(img.attrs.width, undefined);
});

test.run();
