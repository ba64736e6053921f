import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFolder } from '../../../training/datasets/image-folder.ts';
import { tempDir } from '../../helpers/paths.ts';
import { facePixels, writeImage } from './helpers/face-fixtures.ts';
import { expectDatasetError } from './helpers/expect-dataset-error.ts';

const tmp = tempDir('es-imgfolder-');
test.after(() => tmp.cleanup());

test('any size and format, colour or gray, becomes size x size gray; non-images are skipped, hidden files ignored', async () => {
  const root = join(tmp.dir, 'mine');
  writeImage(join(root, 'Happy', 'me-smiling.png'), new Uint8Array(120 * 90).fill(200), 120, 90, true);
  writeImage(join(root, 'surprise', 'wow.webp'), new Uint8Array(30 * 30).fill(50), 30, 30);
  writeImage(join(root, 'surprise', 'exact.png'), facePixels(48, 5), 48, 48);
  writeFileSync(join(root, 'surprise', 'notes.txt'), 'not a face');
  writeFileSync(join(root, 'surprise', '.DS_Store'), 'finder junk');
  const ds = await loadImageFolder(root);
  assert.equal(ds.sources, ['Happy/me-smiling.png', 'surprise/exact.png', 'surprise/wow.webp']);
  assert.equal(Array.from(ds.labels), [3, 6, 6]);
  assert.ok(ds.pixels.subarray(0, 2304).every((v) => v === 200));
  assert.equal(Array.from(ds.pixels.subarray(2304, 4608)), Array.from(facePixels(48, 5)));
  assert.ok(ds.pixels.subarray(4608).every((v) => v === 50));
  assert.equal(ds.skipped, [{ source: 'surprise/notes.txt', reason: 'not an image type OpenCV decodes' }]);
  assert.match(ds.name, /^image-folder:/);
});

test('an unknown class folder is a clear error listing the valid names', async () => {
  const root = join(tmp.dir, 'odd');
  writeImage(join(root, 'happy', 'a.png'), facePixels(48, 1), 48, 48);
  writeImage(join(root, 'bored', 'b.png'), facePixels(48, 2), 48, 48);
  await expectDatasetError(() => loadImageFolder(root), /unknown class folder "bored" .*angry, disgust, fear, happy, neutral, sad, surprise/);
});

test('a path that is a file is ERR_DATASET', async () => {
  const file = join(tmp.dir, 'file.png');
  writeImage(file, facePixels(48, 1), 48, 48);
  await expectDatasetError(() => loadImageFolder(file), /is not a directory: expected/);
});

test.run();
