import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ferPlusTarget } from '../../../training/datasets/ferplus-target.ts';

// Columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
// EMOTIONS indices: angry 0, disgust 1, fear 2, happy 3, neutral 4, sad 5, surprise 6.

test('majority maps FER+ columns to EMOTIONS indices', () => {
  assert.equal(ferPlusTarget([0, 8, 0, 0, 0, 0, 0, 0, 2, 0], 'majority'), { target: 3 });
  assert.equal(ferPlusTarget([7, 1, 0, 0, 0, 0, 0, 0, 2, 0], 'majority'), { target: 4 });
  assert.equal(ferPlusTarget([0, 0, 0, 1, 9, 0, 0, 0, 0, 0], 'majority'), { target: 0 });
  assert.equal(ferPlusTarget([0, 0, 0, 0, 0, 0, 6, 0, 4, 0], 'majority'), { target: 2 });
});

test('majority ties go to the first class in EMOTIONS order', () => {
  assert.equal(ferPlusTarget([0, 4, 4, 0, 0, 0, 0, 0, 2, 0], 'majority'), { target: 3 }, 'happy before surprise');
  assert.equal(ferPlusTarget([0, 0, 0, 5, 5, 0, 0, 0, 0, 0], 'majority'), { target: 0 }, 'angry before sad');
  assert.equal(ferPlusTarget([5, 0, 0, 0, 0, 0, 0, 5, 0, 0], 'majority'), { target: 4 }, 'a class of ours wins a tie with contempt');
});

test('majority contempt / unknown / NF rows are dropped under that name; empty rows as no-votes', () => {
  assert.equal(ferPlusTarget([1, 0, 0, 0, 0, 0, 0, 7, 2, 0], 'majority'), { drop: 'contempt' });
  assert.equal(ferPlusTarget([2, 0, 0, 0, 0, 0, 0, 0, 6, 2], 'majority'), { drop: 'unknown' });
  assert.equal(ferPlusTarget([0, 0, 0, 0, 0, 0, 0, 0, 0, 10], 'majority'), { drop: 'NF' });
  assert.equal(ferPlusTarget([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'majority'), { drop: 'no-votes' });
});

test('distribution normalises the votes of the 7 classes', () => {
  const decision = ferPlusTarget([2, 0, 0, 0, 0, 0, 2, 0, 6, 0], 'distribution');
  assert.ok('target' in decision && decision.target instanceof Float32Array);
  assert.equal(Array.from((decision as { target: Float32Array }).target), [0, 0, 0.5, 0, 0.5, 0, 0]);
  const mixed = ferPlusTarget([1, 3, 0, 0, 4, 0, 0, 2, 0, 0], 'distribution') as { target: Float32Array };
  assert.equal(Array.from(mixed.target).map((v) => Math.round(v * 1000) / 1000), [0.5, 0, 0, 0.375, 0.125, 0, 0]);
  assert.equal(ferPlusTarget([0, 0, 0, 0, 0, 0, 0, 3, 7, 0], 'distribution'), { drop: 'no-votes' });
});

test.run();
