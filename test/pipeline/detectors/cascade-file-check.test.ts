import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCascadeFile } from '../../../pipeline/detectors/cascade-file-check.ts';
import { DEFAULT_CASCADE_PATH } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import { tempDir } from '../../helpers/paths.ts';

async function loadError(path: string): Promise<EmotionStreamError> {
  try {
    await checkCascadeFile(path);
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

test.run();
