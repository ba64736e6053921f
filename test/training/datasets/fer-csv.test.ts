import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFerCsv } from '../../../training/datasets/fer-csv.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, pixelField } from './helpers/face-fixtures.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-fercsv-');
const csv = join(tmp.dir, 'fer2013.csv');
test.after(() => tmp.cleanup());

// Kaggle ids 0..6 = Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral.
const USAGES = ['Training', 'Training', 'PublicTest', 'PublicTest', 'PrivateTest', 'PrivateTest', 'Training'];
test.before(() => {
  const rows = ['emotion,pixels,Usage'];
  for (let id = 0; id < 7; id++) rows.push(`${id},${pixelField(facePixels(48, id))},${USAGES[id]}`);
  rows.splice(3, 0, `3,${pixelField(facePixels(40, 1))},Training`); // 1600 pixels: not 48 x 48
  rows.push(`9,${pixelField(facePixels(48, 1))},PrivateTest`); // unknown emotion id
  rows.push(`2,1 2 three,PublicTest`); // not integers
  rows.push('');
  writeFileSync(csv, rows.join('\r\n'));
});

test('maps Kaggle ids to EMOTIONS order and records malformed rows with their line', async () => {
  const ds = await loadFerCsv(csv);
  assert.is(ds.count, 8, '7 good rows + the 40x40 one, resized');
  // rows: id0 angry, id1 disgust, 40x40 happy, id2 fear, id3 happy, id4 sad, id5 surprise, id6 neutral
  assert.equal(Array.from(ds.labels), [0, 1, 3, 2, 3, 5, 6, 4]);
  assert.equal(ds.sources.slice(0, 3), ['csv:0:Training', 'csv:1:Training', 'csv:2:Training']);
  assert.equal(Array.from(ds.pixels.subarray(0, 2304)), Array.from(facePixels(48, 0)));
  assert.equal(ds.skipped.map((s) => s.source), ['csv:8:PrivateTest', 'csv:9:PublicTest']);
  assert.match(ds.skipped[0].reason, /^line 10: emotion "9" is not an id 0..6/);
  assert.match(ds.skipped[1].reason, /^line 11: pixel 3 is not an integer/);
});

test('a 1600-pixel row is a 40 x 40 image, resized to the requested size', async () => {
  const ds = await loadFerCsv(csv, { size: 40 });
  assert.equal(Array.from(ds.pixels.subarray(2 * 1600, 3 * 1600)), Array.from(facePixels(40, 1)));
});

test('usage keeps only that split', async () => {
  const ds = await loadFerCsv(csv, { usage: 'PrivateTest' });
  assert.equal(ds.sources, ['csv:5:PrivateTest', 'csv:6:PrivateTest']);
  assert.equal(Array.from(ds.labels), [5, 6]);
  assert.match(ds.name, /\(PrivateTest\)$/);
});

test('progress reports bytes up to the file size', async () => {
  let last: [number, number] = [0, 0];
  await loadFerCsv(csv, { onProgress: (done, total) => (last = [done, total]) });
  assert.ok(last[1] > 0 && last[0] === last[1]);
});

test('bad files are ERR_DATASET', async () => {
  await expectDatasetError(() => loadFerCsv(join(tmp.dir, 'none.csv')), /does not exist: expected a fer2013.csv/);
  const unlabeled = join(tmp.dir, 'test.csv');
  writeFileSync(unlabeled, `pixels\n${pixelField(facePixels(48, 1))}\n`);
  await expectDatasetError(() => loadFerCsv(unlabeled), /not a labelled fer2013.csv: .* lacks emotion/);
  const noUsage = join(tmp.dir, 'train.csv');
  writeFileSync(noUsage, `emotion,pixels\n3,${pixelField(facePixels(48, 1))}\n`);
  assert.equal((await loadFerCsv(noUsage)).sources, ['csv:0']);
  await expectDatasetError(() => loadFerCsv(noUsage, { usage: 'Training' }), /lacks Usage/);
  const allBad = join(tmp.dir, 'bad.csv');
  writeFileSync(allBad, 'emotion,pixels,Usage\n1,1 2 3,Training\n');
  await expectDatasetError(() => loadFerCsv(allBad), /no usable rows in/);
});

test.run();
