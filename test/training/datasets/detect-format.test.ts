import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTIONS } from '../../../pipeline/messages.ts';
import { detectDatasetFormat } from '../../../training/datasets/detect-format.ts';
import { tempDir } from '../../helpers/paths.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-detect-');
test.after(() => tmp.cleanup());

test('class folders: all seven -> kaggle-folders, some -> image-folder', () => {
  for (const emotion of EMOTIONS) mkdirSync(join(tmp.dir, 'all', emotion[0].toUpperCase() + emotion.slice(1)), { recursive: true });
  mkdirSync(join(tmp.dir, 'some', 'happy'), { recursive: true });
  assert.equal(detectDatasetFormat(join(tmp.dir, 'all')), { format: 'kaggle-folders', path: join(tmp.dir, 'all') });
  assert.equal(detectDatasetFormat(join(tmp.dir, 'some')).format, 'image-folder');
});

test('csv files by header; a folder holding fer2013.csv', () => {
  mkdirSync(join(tmp.dir, 'csv'));
  writeFileSync(join(tmp.dir, 'csv', 'fer2013.csv'), 'emotion,pixels,Usage\n');
  assert.equal(detectDatasetFormat(join(tmp.dir, 'csv')), { format: 'fer-csv', path: join(tmp.dir, 'csv', 'fer2013.csv') });
  assert.equal(detectDatasetFormat(join(tmp.dir, 'csv', 'fer2013.csv')).format, 'fer-csv');
});

test('FER+ split folders, roots and label.csv', () => {
  mkdirSync(join(tmp.dir, 'fp', 'FER2013Train'), { recursive: true });
  writeFileSync(join(tmp.dir, 'fp', 'FER2013Train', 'label.csv'), '');
  assert.equal(detectDatasetFormat(join(tmp.dir, 'fp')), { format: 'ferplus', path: join(tmp.dir, 'fp') });
  assert.equal(detectDatasetFormat(join(tmp.dir, 'fp', 'FER2013Train', 'label.csv')), { format: 'ferplus', path: join(tmp.dir, 'fp', 'FER2013Train') });
});

test('unrecognised inputs say what was expected', async () => {
  writeFileSync(join(tmp.dir, 'fer2013new.csv'), 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n');
  await expectDatasetError(() => detectDatasetFormat(join(tmp.dir, 'fer2013new.csv')), /holds FER\+ votes without images/);
  writeFileSync(join(tmp.dir, 'notes.txt'), 'hello');
  await expectDatasetError(() => detectDatasetFormat(join(tmp.dir, 'notes.txt')), /no dataset recognised at .*notes.txt: expected a Kaggle/);
  mkdirSync(join(tmp.dir, 'kaggle', 'train', 'happy'), { recursive: true });
  await expectDatasetError(() => detectDatasetFormat(join(tmp.dir, 'kaggle')), /Kaggle download root: pass .*kaggle\/train/);
});

test.run();
