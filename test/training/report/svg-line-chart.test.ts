import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderLineChart, type LineChartOptions } from '../../../training/report/svg-line-chart.ts';
import { findAll, parseXml, textOf, type XmlElement } from './xml-tree.ts';
import { sampleHistory } from './sample-report.ts';

const history = sampleHistory(30);
const accuracyChart: LineChartOptions = {
  title: 'Model Accuracy',
  xLabel: 'Epoch',
  yLabel: 'Accuracy',
  series: [{ name: 'Train', values: history.map((r) => r.accuracy) }, { name: 'Validation', values: history.map((r) => r.valAccuracy) }],
  formatY: (v, d) => `${(v * 100).toFixed(Math.max(0, d - 2))}%`,
};

const texts = (root: XmlElement): string[] => findAll(root, 'text').map(textOf);

/** The [x, y] vertices of a path's d attribute, and how many sub-paths (M commands) it has. */
function vertices(path: XmlElement): { points: Array<[number, number]>; moves: number } {
  const d = path.attrs.d;
  const points = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  return { points, moves: (d.match(/M/g) ?? []).length };
}

test('is well-formed SVG with title, axis labels, series names and tick numbers', () => {
  const root = parseXml(renderLineChart(accuracyChart));
  assert.is(root.name, 'svg');
  assert.is(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  const t = texts(root);
  for (const label of ['Model Accuracy', 'Epoch', 'Accuracy']) assert.ok(t.includes(label), `missing ${label}`);
  // Data from 25% to 57%: y ticks every 5%, x ticks every 5 epochs.
  for (const tick of ['25%', '30%', '45%', '60%', '0', '5', '15', '30']) assert.ok(t.includes(tick), `missing tick ${tick}`);
  const legend = t.filter((s) => s.startsWith('Train') || s.startsWith('Validation'));
  const lastTrain = (history.at(-1)!.accuracy * 100).toFixed(1);
  assert.equal(legend, [`Train (last ${lastTrain}%)`, `Validation (last ${(history.at(-1)!.valAccuracy * 100).toFixed(1)}%)`]);
});

test('draws one vertex per epoch, inside the plot, higher values higher up', () => {
  const root = parseXml(renderLineChart(accuracyChart));
  const frame = findAll(root, 'rect').find((r) => r.attrs.fill === 'none')!;
  const [left, top] = [Number(frame.attrs.x), Number(frame.attrs.y)];
  const [right, bottom] = [left + Number(frame.attrs.width), top + Number(frame.attrs.height)];
  const groups = findAll(root, 'g').filter((g) => g.attrs['data-series']);
  assert.equal(groups.map((g) => g.attrs['data-series']), ['Train', 'Validation']);
  const { points, moves } = vertices(findAll(groups[0], 'path')[0]);
  assert.is(points.length, 30);
  assert.is(moves, 1);
  for (const [x, y] of points) assert.ok(x >= left && x <= right && y >= top && y <= bottom, `${x},${y} outside the plot`);
  assert.ok(points[0][1] > points[29][1], 'accuracy rises, so the last point is drawn higher (smaller y)');
  assert.ok(points[0][0] < points[29][0]);
});

test('the legend sits in a corner no line passes through', () => {
  const root = parseXml(renderLineChart(accuracyChart));
  const box = findAll(findAll(root, 'g').find((g) => g.attrs.class === 'legend')!, 'rect')[0];
  const [x0, y0] = [Number(box.attrs.x), Number(box.attrs.y)];
  const [x1, y1] = [x0 + Number(box.attrs.width), y0 + Number(box.attrs.height)];
  for (const path of findAll(root, 'path')) {
    for (const [x, y] of vertices(path).points) assert.not.ok(x >= x0 && x <= x1 && y >= y0 && y <= y1, `vertex ${x},${y} under the legend`);
  }
});

test('NaN values leave a gap; a series with no values still gets a legend entry', () => {
  const root = parseXml(renderLineChart({
    title: 'Model Loss',
    xLabel: 'Epoch',
    yLabel: 'Loss',
    series: [{ name: 'Train', values: [1.8, 1.5, NaN, 1.3, 1.2] }, { name: 'Validation', values: [NaN, NaN, NaN, NaN, NaN] }],
  }));
  const { points, moves } = vertices(findAll(root, 'path')[0]);
  assert.is(points.length, 4);
  assert.is(moves, 2);
  assert.is(findAll(root, 'path').length, 1);
  const t = texts(root);
  assert.ok(t.includes('Validation (no data)'));
  assert.ok(t.includes('Train (last 1.20)'));
  for (const tick of ['1.2', '1.8']) assert.ok(t.includes(tick), `missing tick ${tick}`);
});

test('a single epoch and a flat line still get an axis', () => {
  const root = parseXml(renderLineChart({ title: 'One', xLabel: 'Epoch', yLabel: 'Loss', series: [{ name: 'Train', values: [0.7] }] }));
  assert.ok(texts(root).includes('1'), 'the epoch appears as a tick');
  assert.is(findAll(root, 'circle').length, 1);
});

test('no data at all renders a well-formed placeholder', () => {
  const root = parseXml(renderLineChart({ title: 'Empty', xLabel: 'Epoch', yLabel: 'Loss', series: [] }));
  assert.ok(texts(root).includes('no data'));
});

test('escapes hostile titles, labels and series names', () => {
  const svg = renderLineChart({ ...accuracyChart, title: '<script>alert(1)</script>', xLabel: 'a & b', series: [{ name: '"><img onerror=x>', values: [1, 2] }] });
  assert.not.match(svg, /<script/);
  assert.not.match(svg, /<img/);
  const root = parseXml(svg);
  assert.is(findAll(root, 'script').length, 0);
  assert.ok(texts(root).includes('<script>alert(1)</script>'));
  assert.ok(texts(root).includes('a & b'));
  assert.is(root.attrs['aria-label'], '<script>alert(1)</script>');
});

test.run();
