import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { loadKaggleFolders } from '../../../training/datasets/kaggle-folders.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, writeCorrupt, writeImage } from './helpers/face-fixtures.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-kaggle-');
const root = join(tmp.dir, 'fer2013', 'test');
test.after(() => tmp.cleanup());

// Two images per class (PublicTest_ and PrivateTest_), png so pixels survive exactly; one jpg; one corrupt file.
test.before(() => {
  EMOTIONS.forEach((emotion, k) => {
    writeImage(join(root, emotion, `PublicTest_${k}.png`), facePixels(48, k), 48, 48);
    writeImage(join(root, emotion, `PrivateTest_${k}.png`), facePixels(48, 10 + k), 48, 48);
  });
  writeImage(join(root, 'happy', 'PrivateTest_99.jpg'), facePixels(48, 99), 48, 48);
  writeCorrupt(join(root, 'sad', 'PrivateTest_broken.jpg'));
});

test('loads every class with one-hot targets, sorted sources and the corrupt file in skipped', async () => {
  const ds = await loadKaggleFolders(root);
  assert.is(ds.count, 15);
  assert.is(ds.size, 48);
  assert.equal(ds.classes, EMOTIONS);
  assert.equal(ds.sources.slice(0, 4), ['angry/PrivateTest_0.png', 'angry/PublicTest_0.png', 'disgust/PrivateTest_1.png', 'disgust/PublicTest_1.png']);
  assert.equal(ds.skipped.map((s) => s.source), ['sad/PrivateTest_broken.jpg']);
  assert.match(ds.skipped[0].reason, /not a decodable image/);
  ds.sources.forEach((source, i) => {
    const k = EMOTIONS.indexOf(source.split('/')[0] as never);
    assert.is(ds.labels[i], k, source);
    assert.equal(Array.from(ds.targets.subarray(i * 7, i * 7 + 7)), EMOTIONS.map((_, j) => (j === k ? 1 : 0)));
  });
  const i = ds.sources.indexOf('fear/PublicTest_2.png');
  assert.equal(Array.from(ds.pixels.subarray(i * 2304, (i + 1) * 2304)), Array.from(facePixels(48, 2)));
});

test('capitalised class folders are accepted', async () => {
  const other = join(tmp.dir, 'caps');
  EMOTIONS.forEach((emotion, k) => writeImage(join(other, emotion[0].toUpperCase() + emotion.slice(1), `Training_${k}.png`), facePixels(48, k), 48, 48));
  const ds = await loadKaggleFolders(other);
  assert.is(ds.count, 7);
  assert.equal(Array.from(ds.labels), [0, 1, 2, 3, 4, 5, 6]);
  assert.is(ds.sources[3], 'Happy/Training_3.png');
});

test('usage keeps only files with that prefix', async () => {
  const ds = await loadKaggleFolders(root, { usage: 'PublicTest' });
  assert.is(ds.count, 7);
  assert.ok(ds.sources.every((s) => s.includes('/PublicTest_')));
});

test('size option resizes', async () => {
  const ds = await loadKaggleFolders(root, { size: 24 });
  assert.is(ds.size, 24);
  assert.is(ds.pixels.length, ds.count * 24 * 24);
});

test('progress reaches the total', async () => {
  const calls: [number, number][] = [];
  await loadKaggleFolders(root, { onProgress: (done, total) => calls.push([done, total]) });
  assert.equal(calls.at(-1), [16, 16]);
});

test('a missing root or one without images is ERR_DATASET saying what was expected', async () => {
  await expectDatasetError(() => loadKaggleFolders(join(tmp.dir, 'nope')), /does not exist: expected a kaggle-folders layout/);
  mkdirSync(join(tmp.dir, 'empty', 'happy'), { recursive: true });
  await expectDatasetError(() => loadKaggleFolders(join(tmp.dir, 'empty')), /no images in .*empty: expected/);
  await expectDatasetError(() => loadKaggleFolders(root, { usage: 'Training' }), /no Training_\* images/);
});

test.run();
