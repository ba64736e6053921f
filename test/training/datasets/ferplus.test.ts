import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFerPlus } from '../../../training/datasets/ferplus.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, writeCorrupt, writeImage } from './helpers/face-fixtures.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-ferplus-');
const root = join(tmp.dir, 'ferplus');
const split = join(root, 'FER2013Test');
test.after(() => tmp.cleanup());

const BOX = '"(0, 0, 48, 48)"';
// image -> votes (neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF)
const ROWS: [string, number[]][] = [
  ['fer0000001.png', [0, 8, 0, 0, 0, 0, 0, 0, 2, 0]], // happy
  ['fer0000002.png', [0, 4, 4, 0, 0, 0, 0, 0, 2, 0]], // tie -> happy
  ['fer0000003.png', [0, 0, 0, 5, 5, 0, 0, 0, 0, 0]], // tie -> angry
  ['fer0000004.png', [2, 0, 0, 0, 0, 0, 2, 0, 6, 0]], // majority unknown; distribution neutral/fear
  ['fer0000005.png', [0, 0, 0, 0, 0, 0, 0, 0, 0, 10]], // NF
  ['fer0000006.png', [1, 0, 0, 0, 0, 0, 0, 9, 0, 0]], // contempt; distribution neutral
  ['fer0000007.png', [9, 1, 0, 0, 0, 0, 0, 0, 0, 0]], // image missing
  ['fer0000008.png', [9, 1, 0, 0, 0, 0, 0, 0, 0, 0]], // image corrupt
];

test.before(() => {
  ROWS.forEach(([image], i) => i < 6 && writeImage(join(split, image), facePixels(48, i), 48, 48));
  writeCorrupt(join(split, 'fer0000008.png'));
  const lines = ROWS.map(([image, votes]) => `${image},${BOX},${votes.join(',')}`);
  lines.splice(3, 0, 'fer0000009.png,"(0, 0, 48, 48)",1,2'); // malformed: too few columns
  writeFileSync(join(split, 'label.csv'), lines.join('\n') + '\n');
});

test('majority: classes, ties, drops counted apart from skipped', async () => {
  const ds = await loadFerPlus(split);
  assert.equal(ds.sources, ['FER2013Test/fer0000001.png', 'FER2013Test/fer0000002.png', 'FER2013Test/fer0000003.png']);
  assert.equal(Array.from(ds.labels), [3, 3, 0]);
  assert.equal(Array.from(ds.targets.subarray(14, 21)), [1, 0, 0, 0, 0, 0, 0]);
  assert.equal(ds.dropped, { unknown: 1, NF: 1, contempt: 1 });
  assert.equal(ds.skipped.map((s) => s.source).sort(), ['FER2013Test/fer0000007.png', 'FER2013Test/fer0000008.png', 'FER2013Test/label.csv:4']);
  assert.match(ds.skipped.find((s) => s.source.endsWith('007.png'))!.reason, /ENOENT/);
  assert.equal(Array.from(ds.pixels.subarray(2304 * 2, 2304 * 3)), Array.from(facePixels(48, 2)));
});

test('distribution: normalised votes over the 7 classes, rows without any dropped as no-votes', async () => {
  const ds = await loadFerPlus(split, { target: 'distribution' });
  assert.is(ds.count, 5);
  const row = (i: number) => Array.from(ds.targets.subarray(i * 7, i * 7 + 7)).map((v) => Math.round(v * 100) / 100);
  assert.equal(row(0), [0, 0, 0, 1, 0, 0, 0]);
  assert.equal(row(1), [0, 0, 0, 0.5, 0, 0, 0.5]);
  assert.equal(row(3), [0, 0, 0.5, 0, 0.5, 0, 0]);
  assert.equal(row(4), [0, 0, 0, 0, 1, 0, 0]);
  assert.equal(Array.from(ds.labels), [3, 3, 0, 2, 4], 'argmax ties go to the EMOTIONS order');
  assert.equal(ds.dropped, { 'no-votes': 1 });
});

test('the FERPlus root with a usage picks the split; without one it asks', async () => {
  const ds = await loadFerPlus(root, { usage: 'PrivateTest' });
  assert.is(ds.count, 3);
  await expectDatasetError(() => loadFerPlus(root), /FER\+ root with FER2013Test: choose one with usage/);
  await expectDatasetError(() => loadFerPlus(root, { usage: 'Training' }), /FER2013Train\/label.csv does not exist/);
  await expectDatasetError(() => loadFerPlus(split, { usage: 'PublicTest' }), /is the FER\+ PrivateTest split, but usage PublicTest/);
  await expectDatasetError(() => loadFerPlus(join(tmp.dir, 'missing')), /no FER\+ data in .*missing: expected a FER\+ split folder/);
});

test.run();
