import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTIONS, type Emotion } from '../../../pipeline/messages.ts';
import { computeMetrics } from '../../../training/metrics/classification-metrics.ts';
import type { EvaluationMetrics } from '../../../pipeline/models/evaluation-result.ts';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: expected ${expected}, got ${actual}`);

function assertNoNaN(m: EvaluationMetrics): void {
  const numbers = [m.accuracy, m.macroF1, ...Object.values(m.perClass).flatMap((c) => [c.precision, c.recall, c.f1, c.support])];
  numbers.forEach((n, i) => assert.ok(Number.isFinite(n), `number ${i} is ${n}`));
}

test('matches a hand-computed 3-class example', () => {
  const classes: Emotion[] = ['angry', 'happy', 'sad'];
  const labels = Uint8Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 0]);
  const predicted = Uint8Array.from([0, 1, 0, 1, 1, 2, 0, 1, 2, 2]);
  const m = computeMetrics(labels, predicted, classes);
  assert.equal(m.confusion, [
    [2, 1, 1],
    [0, 2, 0],
    [1, 1, 2],
  ]);
  assert.is(m.count, 10);
  close(m.accuracy, 0.6, 'accuracy');
  close(m.perClass.angry.precision, 2 / 3, 'angry P');
  close(m.perClass.angry.recall, 0.5, 'angry R');
  close(m.perClass.angry.f1, 4 / 7, 'angry F1');
  assert.is(m.perClass.angry.support, 4);
  close(m.perClass.happy.precision, 0.5, 'happy P');
  close(m.perClass.happy.recall, 1, 'happy R');
  close(m.perClass.happy.f1, 2 / 3, 'happy F1');
  assert.is(m.perClass.happy.support, 2);
  close(m.perClass.sad.precision, 2 / 3, 'sad P');
  close(m.perClass.sad.recall, 0.5, 'sad R');
  close(m.perClass.sad.f1, 4 / 7, 'sad F1');
  assert.is(m.perClass.sad.support, 4);
  close(m.macroF1, 38 / 63, 'macro-F1');
  assert.equal(Object.keys(m.perClass), classes);
});

test('a class never predicted, and a class with no support, score 0 rather than NaN', () => {
  const classes: Emotion[] = ['angry', 'disgust', 'fear', 'happy'];
  // disgust (1) is never predicted; happy (3) is predicted once but never the true label.
  const m = computeMetrics(Uint8Array.from([0, 1, 2, 0]), Uint8Array.from([0, 0, 2, 3]), classes);
  assertNoNaN(m);
  assert.equal(m.perClass.disgust, { precision: 0, recall: 0, f1: 0, support: 1 });
  assert.equal(m.perClass.happy, { precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.perClass.angry.precision, 0.5, 'angry P');
  close(m.perClass.angry.recall, 0.5, 'angry R');
  assert.equal(m.perClass.fear, { precision: 1, recall: 1, f1: 1, support: 1 });
  // Macro-F1 averages over every class, so the two zero classes pull it down.
  close(m.macroF1, (0.5 + 0 + 1 + 0) / 4, 'macro-F1');
  close(m.accuracy, 0.5, 'accuracy');
});

test('an empty set gives zeros, not NaN', () => {
  const m = computeMetrics(new Uint8Array(0), new Uint8Array(0), EMOTIONS);
  assertNoNaN(m);
  assert.is(m.count, 0);
  assert.is(m.accuracy, 0);
  assert.is(m.macroF1, 0);
  assert.equal(m.confusion, EMOTIONS.map(() => EMOTIONS.map(() => 0)));
});

test('with the full EMOTIONS list every emotion has an entry, in order', () => {
  const labels = Uint8Array.from([0, 1, 2, 3, 4, 5, 6]);
  const m = computeMetrics(labels, labels, EMOTIONS);
  assert.equal(Object.keys(m.perClass), [...EMOTIONS]);
  assert.is(m.accuracy, 1);
  assert.is(m.macroF1, 1);
  assert.is(m.confusion.length, 7);
  m.confusion.forEach((row, t) => row.forEach((n, p) => assert.is(n, t === p ? 1 : 0)));
});

test('rejects mismatched lengths, out-of-range indices and repeated classes', () => {
  assert.throws(() => computeMetrics(Uint8Array.from([0, 1]), Uint8Array.from([0]), EMOTIONS), /2 labels but 1 predictions/);
  assert.throws(() => computeMetrics(Uint8Array.from([0, 3]), Uint8Array.from([0, 1]), ['angry', 'happy', 'sad']), /only 3 classes/);
  assert.throws(() => computeMetrics(Uint8Array.from([0]), Uint8Array.from([7]), EMOTIONS), /only 7 classes/);
  assert.throws(() => computeMetrics(Uint8Array.from([0]), Uint8Array.from([0]), ['sad', 'sad']), /repeat/);
  assert.throws(() => computeMetrics(new Uint8Array(0), new Uint8Array(0), []), /no classes/);
});

test.run();
