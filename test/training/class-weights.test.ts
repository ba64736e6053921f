import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { classWeightsFor } from '../../training/class-weights.ts';
import type { FaceDataset } from '../../training/datasets/face-dataset.ts';

/** A dataset with `counts[c]` images of class c (pixels are irrelevant here). */
function dataset(counts: number[]): FaceDataset {
  const labels = Uint8Array.from(counts.flatMap((n, c) => Array<number>(n).fill(c)));
  const count = labels.length;
  const targets = new Float32Array(count * EMOTIONS.length);
  labels.forEach((l, i) => { targets[i * EMOTIONS.length + l] = 1; });
  return {
    name: 'counts', size: 1, count, classes: EMOTIONS, pixels: new Uint8Array(count), targets, labels,
    sources: Array.from(labels, (_, i) => `x/${i}.png`), skipped: [],
  };
}

const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `class ${i}: ${v} vs ${b[i]}`));

test("'none' means no weighting", () => {
  assert.is(classWeightsFor(dataset([3, 1, 1, 1, 1, 1, 1]), 'none'), null);
});

test("'balanced' is n / (k * count_c), so every class carries the same total weight", () => {
  const counts = [40, 5, 10, 80, 20, 25, 20];
  const n = 200;
  const w = classWeightsFor(dataset(counts), 'balanced')!;
  close(w, counts.map((c) => n / (7 * c)));
  counts.forEach((c, k) => assert.ok(Math.abs(c * w[k] - n / 7) < 1e-9, `class ${k} total weight`));
  assert.ok(w[1] > w[0] && w[0] > w[3], 'rare classes weigh more');
});

test("'sqrt' is the square root of 'balanced'", () => {
  const ds = dataset([40, 5, 10, 80, 20, 25, 20]);
  close(classWeightsFor(ds, 'sqrt')!, classWeightsFor(ds, 'balanced')!.map(Math.sqrt));
});

test('a class with no images gets weight 0, not Infinity', () => {
  const w = classWeightsFor(dataset([4, 0, 4, 4, 4, 4, 4]), 'balanced')!;
  assert.is(w[1], 0);
  assert.ok(w.every(Number.isFinite));
  assert.is(classWeightsFor(dataset([4, 0, 4, 4, 4, 4, 4]), 'sqrt')![1], 0);
});

test.run();
