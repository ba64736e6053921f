import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { DatasetCache, type DatasetCacheKey } from '../../../training/datasets/dataset-cache.ts';
import type { FaceDataset } from '../../../training/datasets/face-dataset.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-cache-');
test.after(() => tmp.cleanup());

const key: DatasetCacheKey = { path: '/data/ferplus/FER2013Test', format: 'ferplus', size: 4, target: 'distribution', fingerprint: { files: 3, bytes: 999, newestMtimeMs: 1700000000000 } };

function dataset(): FaceDataset {
  return {
    name: 'ferplus:/data/ferplus/FER2013Test (distribution)',
    size: 4,
    count: 3,
    classes: EMOTIONS,
    pixels: Uint8Array.from({ length: 48 }, (_, i) => i * 5),
    targets: Float32Array.from({ length: 21 }, (_, i) => (i % 7) / 10),
    labels: Uint8Array.from([6, 6, 6]),
    sources: ['FER2013Test/a.png', 'FER2013Test/b.png', 'FER2013Test/ü.png'],
    skipped: [{ source: 'FER2013Test/c.png', reason: 'ENOENT' }],
    dropped: { unknown: 2 },
  };
}

test('round trip keeps every field', () => {
  const cache = new DatasetCache(join(tmp.dir, 'a'));
  assert.is(cache.read(key), undefined);
  cache.write(key, dataset());
  const back = cache.read(key)!;
  const original = dataset();
  assert.equal({ ...back, pixels: Array.from(back.pixels), targets: Array.from(back.targets), labels: Array.from(back.labels) }, {
    ...original,
    pixels: Array.from(original.pixels),
    targets: Array.from(original.targets),
    labels: Array.from(original.labels),
  });
  assert.ok(back.targets instanceof Float32Array && back.pixels instanceof Uint8Array);
  assert.equal(readdirSync(join(tmp.dir, 'a')), [cache.fileFor(key).split('/').pop()], 'no temporary file left behind');
});

test('another fingerprint or option misses', () => {
  const cache = new DatasetCache(join(tmp.dir, 'a'));
  assert.is(cache.read({ ...key, fingerprint: { ...key.fingerprint, bytes: 1000 } }), undefined);
  assert.is(cache.read({ ...key, target: 'majority' }), undefined);
  assert.is(cache.read({ ...key, usage: 'PrivateTest' }), undefined);
  assert.ok(cache.read(key));
});

test('truncated, bit-flipped or foreign files are ignored', () => {
  const cache = new DatasetCache(join(tmp.dir, 'b'));
  cache.write(key, dataset());
  const file = cache.fileFor(key);
  const good = readFileSync(file);
  writeFileSync(file, good.subarray(0, good.length - 10));
  assert.is(cache.read(key), undefined, 'truncated');
  const flipped = Buffer.from(good);
  flipped[flipped.length - 20] ^= 1;
  writeFileSync(file, flipped);
  assert.is(cache.read(key), undefined, 'checksum');
  writeFileSync(file, 'not a cache');
  assert.is(cache.read(key), undefined, 'foreign');
  cache.write(key, dataset());
  assert.ok(cache.read(key), 'rewritten');
});

test('a write that fails is logged, not thrown', () => {
  const blocker = join(tmp.dir, 'file-not-dir');
  writeFileSync(blocker, 'x');
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  new DatasetCache(join(blocker, 'cache'), pino({ level: 'warn' }, sink)).write(key, dataset());
  assert.is(lines.length, 1);
  assert.match(JSON.parse(lines[0]).msg, /dataset cache could not be written/);
});

test.run();
