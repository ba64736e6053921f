import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics } from '../../../training/metrics/classification-metrics.ts';
import { formatMetricsTable } from '../../../training/metrics/format-metrics-table.ts';

const metrics = computeMetrics(
  Uint8Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 0]),
  Uint8Array.from([0, 1, 0, 1, 1, 2, 0, 1, 2, 2]),
  ['angry', 'happy', 'sad'],
);

test('lists each class with P/R/F1 in percent and its support, then accuracy and macro-F1', () => {
  const lines = formatMetricsTable(metrics).split('\n');
  assert.equal(lines[0].split(/\s+/), ['class', 'precision', 'recall', 'F1', 'support']);
  assert.equal(lines[2].split(/\s+/), ['angry', '66.7%', '50.0%', '57.1%', '4']);
  assert.equal(lines[3].split(/\s+/), ['happy', '50.0%', '100.0%', '66.7%', '2']);
  assert.equal(lines[4].split(/\s+/), ['sad', '66.7%', '50.0%', '57.1%', '4']);
  assert.is(lines[6], 'accuracy  60.0%  (10 images)');
  assert.is(lines[7], 'macro-F1  60.3%');
});

test('columns line up: every table row has the same width and numbers are right-aligned', () => {
  const lines = formatMetricsTable(metrics).split('\n').slice(0, 6);
  const width = lines[0].length;
  lines.forEach((l, i) => assert.is(l.length, width, `line ${i}: ${JSON.stringify(l)}`));
  // "100.0%" and "50.0%" in the recall column must end at the same character.
  const recallEnds = lines.slice(2, 5).map((l) => [...l.matchAll(/%/g)][1].index);
  assert.equal(new Set(recallEnds).size, 1, `recall column ends at ${recallEnds.join(', ')}`);
});

test('large supports get thousands separators', () => {
  const big = computeMetrics(new Uint8Array(7178), new Uint8Array(7178), ['angry', 'happy']);
  const text = formatMetricsTable(big);
  assert.match(text, /angry\s+100\.0%\s+100\.0%\s+100\.0%\s+7,178/);
  assert.match(text, /\(7,178 images\)/);
});

test.run();
