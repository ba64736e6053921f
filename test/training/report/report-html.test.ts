import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReportHtml } from '../../../training/report/report-html.ts';
import { findAll, parseXml, textOf } from './xml-tree.ts';
import { sampleReport } from './sample-report.ts';

test('is one well-formed page with header, summary, a section per evaluation, curves and notes', () => {
  const report = sampleReport(10);
  const root = parseXml(renderReportHtml(report));
  assert.is(textOf(findAll(root, 'h1')[0]), 'seed-cnn 1.0.0');
  const summary = findAll(root, 'section').find((s) => s.attrs.class === 'summary')!;
  assert.equal(findAll(findAll(summary, 'tbody')[0], 'th').map(textOf), report.evaluations.map((e) => e.name));
  const classes = findAll(root, 'section').map((s) => s.attrs.class);
  assert.equal(classes, ['summary', 'evaluation', 'evaluation', 'evaluation', 'history', 'notes']);
  assert.equal(findAll(findAll(root, 'ul')[0], 'li').map(textOf), report.notes);
});

test('optional parts degrade to short placeholders', () => {
  const base = sampleReport(0);
  const report = { ...base, evaluations: [], notes: undefined, training: { ...base.training, workers: 1, augmentation: {}, optimizer: {} } };
  const root = parseXml(renderReportHtml(report));
  const page = textOf(root);
  assert.match(page, 'no evaluation sets');
  assert.match(page, 'no training history');
  assert.match(page, 'wasm (1 worker)');
  assert.is(findAll(root, 'table').filter((t) => t.attrs.class === 'settings' && textOf(t).includes('none')).length, 2);
  assert.not.ok(findAll(root, 'section').some((s) => s.attrs.class === 'notes'));
  assert.is(findAll(root, 'img').length, 0);
});

test.run();
