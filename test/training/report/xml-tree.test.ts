import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findAll, parseXml, textOf } from './xml-tree.ts';

// The well-formedness checker the SVG and report tests lean on must itself reject bad markup.

test('parses nested elements, attributes and entities', () => {
  const root = parseXml('<?xml version="1.0"?>\n<svg a="1 &amp; 2"><g><text x=\'3\'>a &lt; b &#233;</text></g><rect/></svg>');
  assert.is(root.name, 'svg');
  assert.is(root.attrs.a, '1 & 2');
  assert.is(textOf(findAll(root, 'text')[0]), 'a < b é');
  assert.is(findAll(root, 'rect').length, 1);
});

test('accepts an HTML5 doctype and comments', () => {
  assert.is(parseXml('<!DOCTYPE html>\n<!-- hi -->\n<html><body><p>x</p></body></html>\n').name, 'html');
});

test('rejects markup that is not well-formed', () => {
  const bad = [
    '<svg><g></svg>',
    '<svg><g></g>',
    '<svg></svg><svg></svg>',
    '<svg>a < b</svg>',
    '<svg>a & b</svg>',
    '<svg>&nbsp;</svg>',
    '<svg a=1></svg>',
    '<svg a="1" a="2"></svg>',
    '<svg a="<"></svg>',
    '<svg a="1"b="2"></svg>',
    'text<svg></svg>',
    '<svg><text>unclosed</svg>',
  ];
  for (const text of bad) assert.throws(() => parseXml(text), /not well-formed/, text);
});

test.run();
