import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { assertExecutable } from '../../../pipeline/sources/executable.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-executable-');
test.after(() => tmp.cleanup());

function failure(binary: string): string {
  try {
    assertExecutable(binary);
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.is(err.code, 'ERR_FFMPEG_MISSING');
    return err.message;
  }
  throw new Error(`${binary} was accepted`);
}

test('an installed binary passes, by name (PATH) or by path', () => {
  assertExecutable('ffmpeg');
  const script = join(tmp.dir, 'fake-ffmpeg');
  writeFileSync(script, '#!/bin/sh\n');
  chmodSync(script, 0o755);
  assertExecutable(script);
});

test('missing, not executable, or a directory: ERR_FFMPEG_MISSING as spawn would report it', () => {
  assert.match(failure(join(tmp.dir, 'ffmpeg')), /ffmpeg is not installed or not on PATH/);
  assert.match(failure('ffmpeg-es-no-such-binary'), /^ffmpeg-es-no-such-binary is not installed/);
  const plain = join(tmp.dir, 'plain');
  writeFileSync(plain, 'not a program');
  chmodSync(plain, 0o644);
  // root may execute any file with an x bit, but not one without any.
  assert.match(failure(plain), /could not be started \(EACCES\)/);
  assert.match(failure(tmp.dir), /could not be started \(EACCES\)/);
});

test.run();
