import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { loadDataset } from '../../../training/datasets/load-dataset.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, pixelField, writeImage } from './helpers/face-fixtures.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-load-');
const kaggle = join(tmp.dir, 'fer2013', 'test');
const cacheDir = join(tmp.dir, 'cache');
test.after(() => tmp.cleanup());

test.before(() => {
  EMOTIONS.forEach((emotion, k) => writeImage(join(kaggle, emotion, `PrivateTest_${k}.png`), facePixels(48, k), 48, 48));
  writeImage(join(tmp.dir, 'mine', 'happy', 'a.png'), facePixels(64, 1), 64, 64);
  writeImage(join(tmp.dir, 'ferplus', 'FER2013Valid', 'fer0000001.png'), facePixels(48, 1), 48, 48);
  writeFileSync(join(tmp.dir, 'ferplus', 'FER2013Valid', 'label.csv'), 'fer0000001.png,"(0, 0, 48, 48)",0,0,9,0,0,0,0,0,1,0\n');
  writeFileSync(join(tmp.dir, 'fer2013.csv'), `emotion,pixels,Usage\n6,${pixelField(facePixels(48, 2))},PublicTest\n`);
});

test('auto-detects every layout', async () => {
  const cases: [string, object, RegExp, number][] = [
    [kaggle, {}, /^kaggle-folders:/, 7],
    [join(tmp.dir, 'mine'), {}, /^image-folder:/, 1],
    [join(tmp.dir, 'ferplus', 'FER2013Valid'), {}, /^ferplus:/, 1],
    [join(tmp.dir, 'ferplus'), { usage: 'PublicTest' }, /^ferplus:.*FER2013Valid/, 1],
    [join(tmp.dir, 'ferplus', 'FER2013Valid', 'label.csv'), {}, /^ferplus:/, 1],
    [join(tmp.dir, 'fer2013.csv'), {}, /^fer-csv:/, 1],
  ];
  for (const [path, options, name, count] of cases) {
    const ds = await loadDataset(path, { ...options, cache: false });
    assert.match(ds.name, name, path);
    assert.is(ds.count, count, path);
  }
  assert.equal(Array.from((await loadDataset(join(tmp.dir, 'fer2013.csv'), { cache: false })).labels), [4], 'Kaggle 6 = neutral');
});

test('an explicit format is used as given', async () => {
  const ds = await loadDataset(kaggle, { format: 'image-folder', cache: false });
  assert.match(ds.name, /^image-folder:/);
});

test('second load comes from the cache without decoding (sources garbled, same size and mtime)', async () => {
  const first = await loadDataset(kaggle, { cache: { dir: cacheDir } });
  assert.is(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 1);
  const file = join(kaggle, 'happy', 'PrivateTest_3.png');
  const { size, mtime } = statSync(file);
  writeFileSync(file, Buffer.alloc(size, 0x41)); // decoding this now would land in skipped
  utimesSync(file, mtime, mtime);
  const second = await loadDataset(kaggle, { cache: { dir: cacheDir } });
  assert.is(second.skipped.length, 0);
  assert.equal(second.sources, first.sources);
  assert.equal(Array.from(second.pixels), Array.from(first.pixels));
  assert.equal(Array.from(second.targets), Array.from(first.targets));
  assert.equal(Array.from(second.labels), Array.from(first.labels));
  assert.is(second.name, first.name);
});

test('a changed input file invalidates the cache and replaces the old entry', async () => {
  const file = join(kaggle, 'happy', 'PrivateTest_3.png');
  writeImage(file, facePixels(48, 42), 48, 48);
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
  const ds = await loadDataset(kaggle, { cache: { dir: cacheDir } });
  const i = ds.sources.indexOf('happy/PrivateTest_3.png');
  assert.equal(Array.from(ds.pixels.subarray(i * 2304, (i + 1) * 2304)), Array.from(facePixels(48, 42)));
  assert.is(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 1, 'stale entry removed');
  const resized = await loadDataset(kaggle, { size: 32, cache: { dir: cacheDir } });
  assert.is(resized.size, 32);
  assert.is(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 2, 'other options get their own entry');
});

test('a corrupt cache file is ignored and rebuilt', async () => {
  for (const name of readdirSync(cacheDir)) writeFileSync(join(cacheDir, name), 'garbage');
  const ds = await loadDataset(kaggle, { cache: { dir: cacheDir } });
  assert.is(ds.count, 7);
  const again = await loadDataset(kaggle, { cache: { dir: cacheDir } });
  assert.equal(Array.from(again.pixels), Array.from(ds.pixels));
});

test('logs the load at info with the cache outcome, and skipped images at warn', async () => {
  const root = join(tmp.dir, 'logged');
  writeImage(join(root, 'sad', 'a.png'), facePixels(48, 1), 48, 48);
  writeFileSync(join(root, 'sad', 'b.png'), 'broken');
  const lines: { msg: string; cache?: string; skipped?: number }[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  await loadDataset(root, { cache: { dir: join(tmp.dir, 'cache-logged') }, logger });
  await loadDataset(root, { cache: { dir: join(tmp.dir, 'cache-logged') }, logger });
  const loaded = lines.filter((line) => line.msg === 'dataset loaded');
  assert.equal(loaded.map((line) => [line.cache, line.skipped]), [['miss', 1], ['hit', 1]]);
  assert.is(lines.filter((line) => /skipped/.test(line.msg)).length, 2);
});

test('bad paths are ERR_DATASET with what was expected', async () => {
  await expectDatasetError(() => loadDataset(join(tmp.dir, 'nowhere')), /does not exist: expected a Kaggle FER2013 folder/);
  await expectDatasetError(() => loadDataset(join(tmp.dir, 'cache')), /no dataset recognised at .*cache: expected/);
  await expectDatasetError(() => loadDataset(join(tmp.dir, 'fer2013')), /Kaggle download root: pass .*test/);
  await expectDatasetError(() => loadDataset(join(tmp.dir, 'ferplus'), { cache: false }), /choose one with usage/);
  await expectDatasetError(() => loadDataset(kaggle, { size: 0 }), /image size must be an integer/);
  await expectDatasetError(() => loadDataset(join(tmp.dir, 'nowhere'), { format: 'kaggle-folders' }), /does not exist/);
});

test.run();
