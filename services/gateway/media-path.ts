import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Resolves a video path requested over the API and returns it only when it lies inside one of
 * the configured media directories.
 *
 * `path` is absolute, or relative to the first media directory. Both the path and the media
 * directories are resolved with realpath (symlinks followed), so `..`, a symlink pointing out of
 * a media directory and prefix tricks (`/media2` is not inside `/media`) are all refused.
 * Open the returned real path, not the requested one: that is the file that was checked.
 *
 * @returns the real path of an existing regular file inside a media directory.
 * @throws EmotionStreamError ERR_FORBIDDEN_PATH when the path is (or would be) outside every media
 *   directory, contains a NUL byte, or no media directory is configured; ERR_SOURCE_NOT_FOUND when
 *   it is inside but missing or not a regular file.
 */
export function resolveMediaPath(path: string, mediaDirs: string[]): string {
  if (path.includes('\0')) throw forbidden(path, 'it contains a NUL byte');
  const roots = realRoots(mediaDirs);
  if (roots.length === 0) throw forbidden(path, 'no media directory is configured (or none exists)');
  const full = isAbsolute(path) ? path : join(mediaDirs[0], path);

  let real: string;
  try {
    real = realpathSync.native(full);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // Only "inside but missing" may say so: answering 404 for paths outside the media
    // directories would let a client probe which files exist anywhere on the host.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw forbidden(path, `it cannot be resolved (${code ?? 'error'})`, cause);
    const wouldBe = realOfMissing(resolve(full));
    if (wouldBe !== undefined && within(roots, wouldBe)) {
      throw new EmotionStreamError('ERR_SOURCE_NOT_FOUND', `video file not found: ${path}`, { cause, context: { path } });
    }
    throw forbidden(path, 'it is outside the configured media directories', cause);
  }
  if (!within(roots, real)) throw forbidden(path, 'it is outside the configured media directories');
  if (!statSync(real).isFile()) {
    throw new EmotionStreamError('ERR_SOURCE_NOT_FOUND', `not a regular file: ${path}`, { context: { path } });
  }
  return real;
}

/** The media directories that exist, resolved; a missing one can contain nothing. */
function realRoots(mediaDirs: string[]): string[] {
  const roots: string[] = [];
  for (const dir of mediaDirs) {
    if (dir.includes('\0')) continue;
    try {
      roots.push(realpathSync.native(dir));
    } catch {
      // configured but absent (e.g. a volume not mounted yet): it cannot hold any file
    }
  }
  return roots;
}

/**
 * Where a missing path would be: the real path of its deepest existing ancestor plus the rest.
 * Undefined when the path ends in a dangling symlink, whose target could be anywhere.
 */
function realOfMissing(absolute: string): string | undefined {
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(existing), ...rest);
    } catch {
      if (isEntry(existing)) return undefined;
      const parent = dirname(existing);
      if (parent === existing) return undefined;
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

/** Whether something (possibly a dangling symlink) exists at this exact path. */
function isEntry(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false; // ENOTDIR: a file stands where a directory would be
  }
}

function within(roots: string[], real: string): boolean {
  return roots.some((root) => {
    const rel = relative(root, real);
    return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
  });
}

function forbidden(path: string, why: string, cause?: unknown): EmotionStreamError {
  const shown = path.replaceAll('\0', '\\0');
  return new EmotionStreamError('ERR_FORBIDDEN_PATH', `${shown}: ${why}`, { cause, context: { path: shown } });
}
