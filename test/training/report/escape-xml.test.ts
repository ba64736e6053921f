import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeXml } from '../../../training/report/escape-xml.ts';
import { parseXml, textOf } from './xml-tree.ts';

test('escapes the five markup characters', () => {
  assert.is(escapeXml(`<script>alert("x" & 'y')</script>`), '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;');
});

test('stringifies non-strings and leaves ordinary text alone', () => {
  assert.is(escapeXml(42), '42');
  assert.is(escapeXml('happy — 55% é 😀'), 'happy — 55% é 😀');
});

test('replaces characters XML cannot hold, so the document stays well-formed', () => {
  const hostile = 'a\u0000b\u001Fc\uD800d\uFFFEe\tf\ng';
  const escaped = escapeXml(hostile);
  assert.is(escaped, 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\tf\ng');
  assert.is(textOf(parseXml(`<t a="${escapeXml(hostile)}">${escaped}</t>`)), escaped);
});

test('round-trips through a strict parser as text and as an attribute', () => {
  const value = `"quoted" <tag> & 'single'`;
  const root = parseXml(`<t a="${escapeXml(value)}">${escapeXml(value)}</t>`);
  assert.is(root.attrs.a, value);
  assert.is(textOf(root), value);
});

test.run();
