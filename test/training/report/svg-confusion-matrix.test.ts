import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { renderConfusionMatrix } from '../../../training/report/svg-confusion-matrix.ts';
import { findAll, parseXml, textOf, type XmlElement } from './xml-tree.ts';

const confusion = [
  [8, 2, 0],
  [1, 1, 0],
  [0, 0, 0],
];
const classes = ['angry', 'happy', 'sad'];

function cell(root: XmlElement, t: number, p: number): { fill: string; texts: string[] } {
  const g = findAll(root, 'g').find((e) => e.attrs['data-cell'] === `${t},${p}`);
  assert.ok(g, `cell ${t},${p} missing`);
  return { fill: findAll(g!, 'rect')[0].attrs.fill, texts: findAll(g!, 'text').map(textOf) };
}

/** Perceived lightness of a #rrggbb colour, 0 (black) .. 255 (white). */
function lightness(hex: string): number {
  const [r, g, b] = hex.slice(1).match(/../g)!.map((h) => parseInt(h, 16));
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

test('is well-formed SVG with a cell per (true, predicted) pair showing count and row %', () => {
  const root = parseXml(renderConfusionMatrix({ classes, confusion, title: 'Confusion matrix — test' }));
  assert.is(root.name, 'svg');
  assert.is(findAll(root, 'g').filter((g) => g.attrs['data-cell']).length, 9);
  assert.equal(cell(root, 0, 0).texts, ['8', '80.0%']);
  assert.equal(cell(root, 0, 1).texts, ['2', '20.0%']);
  assert.equal(cell(root, 1, 0).texts, ['1', '50.0%']);
  assert.equal(cell(root, 0, 2).texts, ['0', '0.0%']);
  // A class with no images has no row share to show.
  assert.equal(cell(root, 2, 2).texts, ['0', '–']);
});

test('labels rows and columns with the class names, and prints row totals', () => {
  const texts = findAll(parseXml(renderConfusionMatrix({ classes, confusion, title: 'Confusion matrix — test' })), 'text').map(textOf);
  for (const name of classes) assert.is(texts.filter((t) => t === name).length, 2, `${name} labels a row and a column`);
  for (const label of ['True label', 'Predicted label', 'Confusion matrix — test', 'images', '10', '2', '0%', '100%']) {
    assert.ok(texts.includes(label), `missing ${label}`);
  }
});

test('colour follows the row share, not the raw count', () => {
  const root = parseXml(renderConfusionMatrix({ classes, confusion }));
  // 8 of 10 (80%) is darker than 1 of 2 (50%), which is darker than 2 of 10 (20%) and 0.
  const shades = [cell(root, 0, 0), cell(root, 1, 0), cell(root, 0, 1), cell(root, 0, 2)].map((c) => lightness(c.fill));
  for (let i = 1; i < shades.length; i++) assert.ok(shades[i - 1] < shades[i], `shades not ordered: ${shades.join(', ')}`);
  assert.is(cell(root, 0, 2).fill, '#f7fbff');
  assert.is(cell(root, 2, 2).fill, '#f7fbff');
});

test('renders the seven EMOTIONS with large counts', () => {
  const big = EMOTIONS.map((_, t) => EMOTIONS.map((_, p) => (t === p ? 1550 : 20 + t)));
  const root = parseXml(renderConfusionMatrix({ classes: EMOTIONS, confusion: big }));
  assert.is(findAll(root, 'g').filter((g) => g.attrs['data-cell']).length, 49);
  assert.equal(cell(root, 3, 3).texts, ['1,550', `${((1550 / (1550 + 6 * 23)) * 100).toFixed(1)}%`]);
});

test('escapes hostile class names and titles', () => {
  const svg = renderConfusionMatrix({ classes: ['<script>', 'a&b'], confusion: [[1, 0], [0, 1]], title: '</svg><script>x</script>' });
  assert.not.match(svg, /<script/);
  const texts = findAll(parseXml(svg), 'text').map(textOf);
  assert.ok(texts.includes('<script>'));
  assert.ok(texts.includes('a&b'));
  assert.ok(texts.includes('</svg><script>x</script>'));
});

test('rejects a matrix that does not match the classes', () => {
  assert.throws(() => renderConfusionMatrix({ classes, confusion: [[1, 2], [3, 4]] }), /3x3/);
  assert.throws(() => renderConfusionMatrix({ classes: ['a', 'b'], confusion: [[1, 2], [3]] }), /2x2/);
  assert.throws(() => renderConfusionMatrix({ classes: ['a'], confusion: [[-1]] }), /non-negative/);
  assert.throws(() => renderConfusionMatrix({ classes: [], confusion: [] }), /0x0/);
});

test.run();
