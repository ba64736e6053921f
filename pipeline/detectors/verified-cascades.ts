import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Cascade files that passed the OpenCV check, remembered across processes so the check (a child
 * process that loads OpenCV: 0.5-1.4 s of every start-up here) runs once per file version rather
 * than on every replay. A file is known by its path, inode, size, modification and change times,
 * and the OpenCV binding that checked it: any write to the file makes it a new file, checked again.
 *
 * The folder: `EMOTION_STREAM_CACHE_DIR`, else `$XDG_CACHE_HOME/emotion-stream`, else
 * `~/.cache/emotion-stream`. A folder that cannot be written only costs the check each time.
 */
export class VerifiedCascades {
  private readonly dir: string;

  constructor(private readonly checker: string, dir: string = defaultCacheDir()) {
    this.dir = join(dir, 'verified-cascades');
  }

  has(path: string, info: Stats): boolean {
    return existsSync(this.markerPath(path, info));
  }

  /** Remembers a file that passed; best effort (a read-only home is not an error). */
  remember(path: string, info: Stats): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(this.markerPath(path, info), `${path}\n`);
    } catch {
      // Not remembered: the next start-up checks the file again, nothing worse.
    }
  }

  private markerPath(path: string, info: Stats): string {
    const key = JSON.stringify([path, info.ino, info.size, info.mtimeMs, info.ctimeMs, this.checker]);
    return join(this.dir, createHash('sha256').update(key).digest('hex'));
  }
}

function defaultCacheDir(): string {
  if (process.env.EMOTION_STREAM_CACHE_DIR) return process.env.EMOTION_STREAM_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'emotion-stream');
}
