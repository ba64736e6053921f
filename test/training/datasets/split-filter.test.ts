import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { filterDataset, isUsage, privateTest, publicTest } from '../../../training/datasets/split-filter.ts';
import { FaceDatasetBuilder } from '../../../training/datasets/face-dataset-builder.ts';

function build(sources: string[]) {
  const builder = new FaceDatasetBuilder('test', 2, 1);
  sources.forEach((source, i) => builder.add(Uint8Array.from([i, i, i, i]), i % EMOTIONS.length, source));
  builder.skip('sad/PrivateTest_bad.jpg', 'corrupt');
  return builder.build();
}

test('isUsage understands Kaggle names, csv sources and FER+ split folders', () => {
  assert.ok(isUsage('happy/PrivateTest_123.jpg', 'PrivateTest'));
  assert.not.ok(isUsage('happy/PublicTest_123.jpg', 'PrivateTest'));
  assert.ok(isUsage('csv:32000:PrivateTest', 'PrivateTest'));
  assert.not.ok(isUsage('csv:3:Training', 'PrivateTest'));
  assert.ok(isUsage('FER2013Valid/fer0028638.png', 'PublicTest'));
  assert.ok(isUsage('FER2013Test/fer0032220.png', 'PrivateTest'));
  assert.not.ok(isUsage('FER2013Test/fer0032220.png', 'PublicTest'));
});

test('privateTest / publicTest keep pixels, targets and labels aligned', () => {
  const ds = build(['angry/PrivateTest_1.jpg', 'angry/PublicTest_2.jpg', 'disgust/PrivateTest_3.jpg', 'csv:9:PublicTest']);
  const priv = privateTest(ds);
  assert.equal(priv.sources, ['angry/PrivateTest_1.jpg', 'disgust/PrivateTest_3.jpg']);
  assert.equal(Array.from(priv.pixels), [0, 0, 0, 0, 2, 2, 2, 2]);
  assert.equal(Array.from(priv.labels), [0, 2]);
  assert.equal(Array.from(priv.targets.subarray(7, 14)), [0, 0, 1, 0, 0, 0, 0]);
  assert.equal(priv.skipped.map((s) => s.source), ['sad/PrivateTest_bad.jpg']);
  assert.match(priv.name, /\[PrivateTest\]$/);
  const pub = publicTest(ds);
  assert.equal(pub.sources, ['angry/PublicTest_2.jpg', 'csv:9:PublicTest']);
  assert.equal(pub.skipped, []);
  assert.is(ds.count, 4, 'input untouched');
});

test('a dataset without split names gives an empty split', () => {
  const pub = publicTest(build(['happy/Training_1.jpg']));
  assert.is(pub.count, 0);
  assert.is(pub.pixels.length, 0);
});

test('filterDataset takes any source predicate', () => {
  const ds = build(['a/1.png', 'b/2.png', 'a/3.png']);
  const only = filterDataset(ds, (source) => source.startsWith('a/'), 'only a');
  assert.equal(only.sources, ['a/1.png', 'a/3.png']);
  assert.is(only.name, 'only a');
});

test.run();
