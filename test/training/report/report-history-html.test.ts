import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderHistorySection } from '../../../training/report/report-history-html.ts';
import { findAll, parseXml, textOf } from './xml-tree.ts';
import { sampleHistory } from './sample-report.ts';

const decode = (src: string): string => Buffer.from(src.split(',')[1], 'base64').toString('utf8');

test('embeds the accuracy and loss curves and names the best validation epoch', () => {
  const history = sampleHistory(30);
  const section = parseXml(renderHistorySection(history));
  const charts = findAll(section, 'img').map((img) => parseXml(decode(img.attrs.src)));
  assert.equal(charts.map((c) => c.attrs['aria-label']), ['Model Accuracy', 'Model Loss']);
  const best = history.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
  assert.match(textOf(section), `Best validation accuracy ${(best.valAccuracy * 100).toFixed(2)}% at epoch ${best.epoch} of 30.`);
  assert.is(findAll(findAll(section, 'tbody')[0], 'tr').length, 30);
});

test('an empty history says so and draws nothing', () => {
  const section = parseXml(renderHistorySection([]));
  assert.is(findAll(section, 'img').length, 0);
  assert.match(textOf(section), 'no training history');
});

test('a history without validation still draws the train curves', () => {
  const history = sampleHistory(3).map((r) => ({ ...r, valAccuracy: NaN, valLoss: NaN }));
  const section = parseXml(renderHistorySection(history));
  assert.match(textOf(section), 'No validation accuracy was recorded.');
  assert.not.match(textOf(section), 'NaN');
  const accuracy = parseXml(decode(findAll(section, 'img')[0].attrs.src));
  assert.is(findAll(accuracy, 'path').length, 1);
});

test('with weight averaging: a third line, two more columns, and the best model may be an average', () => {
  const history = sampleHistory(6).map((r) => (r.epoch >= 3 ? { ...r, swaValLoss: r.valLoss - 0.05, swaValAccuracy: r.epoch === 4 ? 0.99 : r.valAccuracy } : r));
  const section = parseXml(renderHistorySection(history));
  const [accuracy, loss] = findAll(section, 'img').map((img) => parseXml(decode(img.attrs.src)));
  assert.is(findAll(accuracy, 'path').length, 3);
  assert.is(findAll(loss, 'path').length, 3);
  assert.match(textOf(accuracy), 'Averaged weights');
  assert.match(textOf(section), 'Best validation accuracy 99.00% at epoch 4 of 6 (weights averaged up to that epoch).');
  const head = findAll(findAll(section, 'thead')[0], 'th').map(textOf);
  assert.ok(head.includes('averaged val accuracy') && head.includes('averaged val loss'), head.join());
  const firstRow = findAll(findAll(findAll(section, 'tbody')[0], 'tr')[0], 'td').map(textOf);
  assert.is(firstRow.length, head.length);
  assert.not.match(textOf(section), 'NaN');
  // Without averaging the table keeps its eight columns.
  const plain = parseXml(renderHistorySection(sampleHistory(3)));
  assert.is(findAll(findAll(plain, 'thead')[0], 'th').length, 8);
});

test.run();
