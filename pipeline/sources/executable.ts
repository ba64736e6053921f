import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnError } from './spawn-error.ts';

/**
 * Throws ERR_FFMPEG_MISSING unless `binary` (a path, or a bare name looked up on PATH the way
 * spawn does) is an executable file. Used before handing a binary to fluent-ffmpeg, which cannot
 * report a failed spawn safely (see fluent-command.ts).
 */
export function assertExecutable(binary: string): void {
  let denied: NodeJS.ErrnoException | undefined;
  for (const file of candidates(binary)) {
    const problem = notExecutable(file);
    if (!problem) return;
    if (problem.code !== 'ENOENT' && problem.code !== 'ENOTDIR') denied ??= problem;
  }
  throw spawnError(denied ?? errno('ENOENT', binary), binary);
}

function candidates(binary: string): string[] {
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const withExts = (file: string) => exts.map((ext) => file + ext);
  if (/[\\/]/.test(binary)) return withExts(binary);
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.flatMap((dir) => withExts(join(dir, binary)));
}

function notExecutable(file: string): NodeJS.ErrnoException | undefined {
  try {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return errno('ENOENT', file);
    // spawn reports a directory (or other non-file) as EACCES.
    if (!stat.isFile()) return errno('EACCES', file);
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

function errno(code: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`spawn ${file} ${code}`), { code, syscall: `spawn ${file}`, path: file });
}
