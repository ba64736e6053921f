import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { isImageFile } from './image-extensions.ts';

/** One image file of a `<class>/<image>` folder. */
export interface ClassImage {
  path: string;
  /** `<class folder>/<file>` as on disk, e.g. "happy/PrivateTest_123.jpg". */
  source: string;
  /** Index into EMOTIONS. */
  label: number;
}

/** Result of listing a class-folder dataset. */
export interface ClassImageListing {
  /** Sorted by class (EMOTIONS order), then folder name, then file name: deterministic across machines. */
  images: ClassImage[];
  /** Files that are not images OpenCV can decode (hidden files are ignored silently). */
  ignored: { source: string; reason: string }[];
}

/**
 * Lists `<root>/<class>/<image>` where class folder names are EMOTIONS, compared case-insensitively
 * ("Happy" and "happy" both mean happy). Sub-folders of class folders are not searched.
 *
 * @throws EmotionStreamError ERR_DATASET when a folder of root is not a class name (naming the valid ones).
 */
export function listClassImages(root: string): ClassImageListing {
  const classDirs = readClassDirs(root);
  const images: ClassImage[] = [];
  const ignored: { source: string; reason: string }[] = [];
  for (const { folder, label } of classDirs) {
    for (const file of readdirSync(join(root, folder), { withFileTypes: true }).sort(byName)) {
      if (file.name.startsWith('.') || !isFileEntry(join(root, folder), file)) continue;
      const source = `${folder}/${file.name}`;
      if (isImageFile(file.name)) images.push({ path: join(root, folder, file.name), source, label });
      else ignored.push({ source, reason: 'not an image type OpenCV decodes' });
    }
  }
  return { images, ignored };
}

function readClassDirs(root: string): { folder: string; label: number }[] {
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && isDirEntry(root, entry))
    .map((entry) => ({ folder: entry.name, label: (EMOTIONS as readonly string[]).indexOf(entry.name.toLowerCase()) }));
  const unknown = dirs.filter((dir) => dir.label < 0).map((dir) => dir.folder);
  if (unknown.length > 0) {
    throw new EmotionStreamError(
      'ERR_DATASET',
      `unknown class folder${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')} in ${root}: ` +
        `class folders must be named ${EMOTIONS.join(', ')} (any case)`,
      { context: { root, unknown } },
    );
  }
  return dirs.sort((a, b) => a.label - b.label || byString(a.folder, b.folder));
}

// Symlinked folders and files count as what they point to.
function isDirEntry(parent: string, entry: Dirent): boolean {
  return entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(parent, entry.name), { throwIfNoEntry: false })?.isDirectory() === true);
}

function isFileEntry(parent: string, entry: Dirent): boolean {
  return entry.isFile() || (entry.isSymbolicLink() && statSync(join(parent, entry.name), { throwIfNoEntry: false })?.isFile() === true);
}

// Code-unit order, not localeCompare: the same on every machine and locale.
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName(a: Dirent, b: Dirent): number {
  return byString(a.name, b.name);
}
