import type { Emotion } from '../../pipeline/messages.ts';
import type { ClassMetrics, EvaluationMetrics } from '../../pipeline/models/evaluation-result.ts';

/**
 * Scores predicted class indices against true ones.
 *
 * Index `i` in `labels` and `predicted` means `classes[i]`. `perClass` gets exactly the keys in
 * `classes` (every Emotion when `classes` is the full EMOTIONS list) and `confusion[t][p]` is in
 * `classes` order. Undefined ratios are 0, never NaN, following scikit-learn's `zero_division=0`:
 * precision is 0 for a class that is never predicted, recall is 0 for a class with no support,
 * F1 is 0 when precision + recall is 0, and accuracy is 0 on an empty set. Macro-F1 is the
 * unweighted mean of the per-class F1 over all `classes`, including classes with no support.
 *
 * @throws RangeError when the arrays differ in length, `classes` is empty or repeats a name, or an
 *   index is not below `classes.length`
 */
export function computeMetrics(labels: Uint8Array, predicted: Uint8Array, classes: readonly Emotion[]): EvaluationMetrics {
  checkInputs(labels, predicted, classes);
  const confusion = confusionMatrix(labels, predicted, classes.length);
  const perClass = {} as Record<Emotion, ClassMetrics>;
  let correct = 0;
  let f1Sum = 0;
  classes.forEach((name, c) => {
    const scores = classScores(confusion, c);
    perClass[name] = scores;
    correct += confusion[c][c];
    f1Sum += scores.f1;
  });
  const count = labels.length;
  return {
    count,
    accuracy: count === 0 ? 0 : correct / count,
    macroF1: f1Sum / classes.length,
    perClass,
    confusion,
  };
}

function checkInputs(labels: Uint8Array, predicted: Uint8Array, classes: readonly Emotion[]): void {
  if (labels.length !== predicted.length) {
    throw new RangeError(`computeMetrics: ${labels.length} labels but ${predicted.length} predictions`);
  }
  if (classes.length === 0) throw new RangeError('computeMetrics: no classes');
  if (new Set(classes).size !== classes.length) {
    throw new RangeError(`computeMetrics: classes repeat a name: ${classes.join(', ')}`);
  }
}

function confusionMatrix(labels: Uint8Array, predicted: Uint8Array, k: number): number[][] {
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (t >= k || p >= k) {
      throw new RangeError(`computeMetrics: item ${i} has label ${t} / prediction ${p}, but there are only ${k} classes`);
    }
    confusion[t][p]++;
  }
  return confusion;
}

function classScores(confusion: number[][], c: number): ClassMetrics {
  const tp = confusion[c][c];
  const support = confusion[c].reduce((a, b) => a + b, 0);
  const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
  const precision = predictedAs === 0 ? 0 : tp / predictedAs;
  const recall = support === 0 ? 0 : tp / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support };
}
