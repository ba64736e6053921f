import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics } from '../../../training/metrics/classification-metrics.ts';
import { renderEvaluationSection } from '../../../training/report/report-evaluation-html.ts';
import { findAll, parseXml, textOf } from './xml-tree.ts';

const metrics = computeMetrics(
  Uint8Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 0]),
  Uint8Array.from([0, 1, 0, 1, 1, 2, 0, 1, 2, 2]),
  ['angry', 'happy', 'sad'],
);

test('shows the name with the image count, accuracy, macro-F1, a per-class table and one heatmap', () => {
  const section = parseXml(renderEvaluationSection({ name: 'PublicTest', metrics }));
  assert.is(textOf(findAll(section, 'h2')[0]), 'PublicTest (10)');
  assert.match(textOf(findAll(section, 'p')[0]), /Accuracy 60\.00%.*Macro-F1 60\.32%/s);
  const rows = findAll(findAll(section, 'tbody')[0], 'tr').map((tr) => [...findAll(tr, 'th'), ...findAll(tr, 'td')].map(textOf));
  assert.equal(rows, [
    ['angry', '66.7%', '50.0%', '57.1%', '4'],
    ['happy', '50.0%', '100.0%', '66.7%', '2'],
    ['sad', '66.7%', '50.0%', '57.1%', '4'],
  ]);
  const imgs = findAll(section, 'img');
  assert.is(imgs.length, 1);
  const svg = parseXml(Buffer.from(imgs[0].attrs.src.split(',')[1], 'base64').toString('utf8'));
  assert.is(svg.attrs['aria-label'], 'Confusion matrix — PublicTest');
});

test.run();
