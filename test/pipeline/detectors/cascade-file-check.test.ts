import { writeFileSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCascadeFile } from '../../../pipeline/detectors/cascade-file-check.ts';
import { DEFAULT_CASCADE_PATH } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import { tempDir } from '../../helpers/paths.ts';

async function loadError(path: string, cacheDir?: string): Promise<EmotionStreamError> {
  try {
    await checkCascadeFile(path, cacheDir);
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    return err as EmotionStreamError;
  }
  throw new Error(`checkCascadeFile(${path}) should have rejected`);
}

test('accepts the OpenCV frontal face cascade', async () => {
  await checkCascadeFile(DEFAULT_CASCADE_PATH);
});

test('missing file and directory: ERR_DETECTOR_LOAD naming the path', async () => {
  const tmp = tempDir();
  try {
    const missing = join(tmp.dir, 'nope.xml');
    const err = await loadError(missing);
    assert.is(err.code, 'ERR_DETECTOR_LOAD');
    assert.ok(err.message.includes(missing));
    assert.is(err.context.path, missing);
    const dirErr = await loadError(tmp.dir);
    assert.is(dirErr.code, 'ERR_DETECTOR_LOAD');
    assert.ok(dirErr.message.includes('is not a file'));
  } finally {
    tmp.cleanup();
  }
});

test('files OpenCV would abort the process on are rejected with its error text', async () => {
  const tmp = tempDir();
  try {
    const garbage = join(tmp.dir, 'garbage.xml');
    writeFileSync(garbage, 'this is not xml\n');
    const notCascade = join(tmp.dir, 'storage.xml');
    writeFileSync(notCascade, '<?xml version="1.0"?>\n<opencv_storage>\n<foo>1</foo>\n</opencv_storage>\n');
    const truncated = join(tmp.dir, 'truncated.xml');
    const cascade = readFileSync(DEFAULT_CASCADE_PATH, 'utf8');
    writeFileSync(truncated, `${cascade.slice(0, cascade.length / 2)}\n</opencv_storage>\n`);
    for (const path of [garbage, notCascade, truncated]) {
      const err = await loadError(path);
      assert.is(err.code, 'ERR_DETECTOR_LOAD');
      assert.ok(err.message.includes(path), err.message);
      assert.ok(err.message.includes('OpenCV Error'), err.message);
    }
  } finally {
    tmp.cleanup();
  }
});

test('a cascade that passed is not checked again until it is written to', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'cascade.xml');
    const cacheDir = join(tmp.dir, 'cache');
    const markers = join(cacheDir, 'verified-cascades');
    const cascade = readFileSync(DEFAULT_CASCADE_PATH);
    writeFileSync(path, cascade);
    await checkCascadeFile(path, cacheDir);
    const [marker] = readdirSync(markers);
    assert.ok(marker, 'the pass is remembered');
    // A check that ran again would remember the pass again (rewrite the marker): it must not.
    utimesSync(join(markers, marker), 0, 0);
    await checkCascadeFile(path, cacheDir);
    assert.is(statSync(join(markers, marker)).mtimeMs, 0, 'the second start-up did not check again');
    // Garbage of the same size: a write, so a new check, which fails.
    writeFileSync(path, Buffer.alloc(cascade.length, 0x20));
    const err = await loadError(path, cacheDir);
    assert.is(err.code, 'ERR_DETECTOR_LOAD');
    assert.equal(readdirSync(markers), [marker], 'failures are not remembered');
  } finally {
    tmp.cleanup();
  }
});

test.run();
