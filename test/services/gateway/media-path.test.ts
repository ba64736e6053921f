import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveMediaPath } from '../../../services/gateway/media-path.ts';

// One real tree for every test: media dirs, a look-alike sibling, files outside, and symlinks.
const root = realpathSync(mkdtempSync(join(tmpdir(), 'media-path-')));
const media = join(root, 'media');
const other = join(root, 'other-media');
for (const dir of [join(media, 'sub'), join(root, 'media2'), join(root, 'outside'), other]) mkdirSync(dir, { recursive: true });
for (const file of [join(media, 'a.mp4'), join(media, 'sub', 'b.mp4'), join(root, 'media2', 'c.mp4'), join(root, 'outside', 'secret.mp4'), join(other, 'd.mp4')]) {
  writeFileSync(file, 'not really a video');
}
symlinkSync(join(root, 'outside', 'secret.mp4'), join(media, 'link-out.mp4'));
symlinkSync(join(root, 'outside'), join(media, 'dir-link-out'));
symlinkSync(join(media, 'sub', 'b.mp4'), join(media, 'link-in.mp4'));
symlinkSync(join(root, 'outside', 'missing.mp4'), join(media, 'dangling.mp4'));
symlinkSync(media, join(root, 'media-link'));

/** The code resolveMediaPath throws with (fails the test when it returns). */
function codeOf(path: string, dirs: string[] = [media]): string {
  try {
    const resolved = resolveMediaPath(path, dirs);
    return `returned ${resolved}`;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('an absolute path inside a media dir resolves to itself', () => {
  assert.is(resolveMediaPath(join(media, 'a.mp4'), [media]), join(media, 'a.mp4'));
  assert.is(resolveMediaPath(join(media, 'sub', 'b.mp4'), [media]), join(media, 'sub', 'b.mp4'));
});

test('a relative path is taken relative to the first media dir only', () => {
  assert.is(resolveMediaPath('sub/b.mp4', [media, other]), join(media, 'sub', 'b.mp4'));
  assert.is(resolveMediaPath(join(other, 'd.mp4'), [media, other]), join(other, 'd.mp4'));
  assert.is(codeOf('d.mp4', [media, other]), 'ERR_SOURCE_NOT_FOUND');
});

test('.. cannot climb out of the media dirs', () => {
  assert.is(codeOf('sub/../../outside/secret.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('../outside/secret.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf(`${media}/../outside/secret.mp4`), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('../media2/c.mp4'), 'ERR_FORBIDDEN_PATH');
  // .. that stays inside is fine
  assert.is(resolveMediaPath('sub/../a.mp4', [media]), join(media, 'a.mp4'));
});

test('a sibling whose name starts with the media dir name is outside (/media2 vs /media)', () => {
  assert.is(codeOf(join(root, 'media2', 'c.mp4')), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf(`${media}2/c.mp4`), 'ERR_FORBIDDEN_PATH');
});

test('symlinks are followed: out of the media dir is refused, within it resolves to the target', () => {
  assert.is(codeOf('link-out.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('dir-link-out/secret.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(resolveMediaPath('link-in.mp4', [media]), join(media, 'sub', 'b.mp4'));
});

test('a media dir configured through a symlink works and paths come back real', () => {
  assert.is(resolveMediaPath(join(root, 'media-link', 'a.mp4'), [join(root, 'media-link')]), join(media, 'a.mp4'));
  assert.is(resolveMediaPath('sub/b.mp4', [join(root, 'media-link')]), join(media, 'sub', 'b.mp4'));
  assert.is(resolveMediaPath(join(media, 'a.mp4'), [join(root, 'media-link')]), join(media, 'a.mp4'));
});

test('missing inside is not-found; missing outside is forbidden, so existence elsewhere cannot be probed', () => {
  assert.is(codeOf('nope.mp4'), 'ERR_SOURCE_NOT_FOUND');
  assert.is(codeOf('new-dir/deeper/nope.mp4'), 'ERR_SOURCE_NOT_FOUND');
  assert.is(codeOf('a.mp4/below-a-file'), 'ERR_SOURCE_NOT_FOUND');
  assert.is(codeOf(join(root, 'outside', 'missing.mp4')), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf(join(root, 'outside', 'secret.mp4')), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('dir-link-out/missing.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('dangling.mp4'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('/no/such/dir/at/all.mp4'), 'ERR_FORBIDDEN_PATH');
});

test('a directory inside is not a video file', () => {
  assert.is(codeOf('sub'), 'ERR_SOURCE_NOT_FOUND');
  assert.is(codeOf(media), 'ERR_SOURCE_NOT_FOUND');
});

test('without media dirs (or with only missing ones) every path is forbidden', () => {
  assert.is(codeOf(join(media, 'a.mp4'), []), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf('a.mp4', []), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf(join(media, 'a.mp4'), [join(root, 'not-there')]), 'ERR_FORBIDDEN_PATH');
});

test('NUL bytes are refused, not truncated', () => {
  assert.is(codeOf('a.mp4\0.txt'), 'ERR_FORBIDDEN_PATH');
  assert.is(codeOf(`${join(media, 'a.mp4')}\0`), 'ERR_FORBIDDEN_PATH');
  assert.throws(() => resolveMediaPath('a.mp4\0x', [media]), /NUL byte/);
});

test.run();
