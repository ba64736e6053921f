import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnError } from '../../../pipeline/sources/spawn-error.ts';

test('ENOENT says the binary is not installed, with the fix', () => {
  const cause = Object.assign(new Error('spawn ffmpegx ENOENT'), { code: 'ENOENT' });
  const err = spawnError(cause, 'ffmpegx');
  assert.is(err.code, 'ERR_FFMPEG_MISSING');
  assert.is(err.cause, cause);
  assert.match(err.message, /^ffmpegx is not installed or not on PATH: install ffmpeg/);
  assert.equal(err.context, { binary: 'ffmpegx' });
});

test('other start failures name their errno code', () => {
  const err = spawnError(Object.assign(new Error('denied'), { code: 'EACCES' }), '/opt/ffmpeg');
  assert.match(err.message, /^\/opt\/ffmpeg could not be started \(EACCES\)/);
});

test.run();
