import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FaceDatasetBuilder } from '../../../training/datasets/face-dataset-builder.ts';

test('grows past its capacity hint and keeps rows aligned', () => {
  const builder = new FaceDatasetBuilder('grow', 1, 1);
  for (let i = 0; i < 5; i++) builder.add(Uint8Array.of(i * 10), i, `s${i}`);
  builder.add(Uint8Array.of(99), [0.1, 0, 0, 0, 0.2, 0.7, 0], 'soft');
  builder.drop('unknown');
  builder.drop('unknown');
  const ds = builder.build();
  assert.is(ds.count, 6);
  assert.equal(Array.from(ds.pixels), [0, 10, 20, 30, 40, 99]);
  assert.equal(Array.from(ds.labels), [0, 1, 2, 3, 4, 5]);
  assert.is(ds.targets.length, 42);
  assert.equal(ds.dropped, { unknown: 2 });
});

test('argmax ties go to the lower class index; no dropped field when nothing dropped', () => {
  const builder = new FaceDatasetBuilder('ties', 1);
  builder.add(Uint8Array.of(1), [0, 0.5, 0, 0, 0, 0.5, 0], 'tie');
  const ds = builder.build();
  assert.equal(Array.from(ds.labels), [1]);
  assert.is(ds.dropped, undefined);
  assert.is(ds.pixels.length, 1);
});

test('wrong pixel counts are refused', () => {
  assert.throws(() => new FaceDatasetBuilder('x', 2).add(Uint8Array.of(1), 0, 'short'), /expected 4 pixels for short, got 1/);
});

test.run();
