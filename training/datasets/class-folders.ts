import { resolve } from 'node:path';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import type { FaceDataset } from './face-dataset.ts';
import { FaceDatasetBuilder } from './face-dataset-builder.ts';
import { listClassImages } from './list-class-images.ts';
import { decodeImageFiles } from './decode-image-files.ts';
import { requireDirectory } from './require-path.ts';
import { DEFAULT_FACE_SIZE, type FerUsage, type LoaderOptions } from './loader-options.ts';

/** Options of the `<class>/<image>` loaders. */
export interface ClassFoldersOptions extends LoaderOptions {
  /** Keep only files named `<usage>_*` (FER2013's Kaggle folders: Training_, PublicTest_, PrivateTest_). */
  usage?: FerUsage;
}

/**
 * Shared core of kaggle-folders and image-folder: lists `<root>/<class>/<image>`, decodes every
 * image to grayscale size x size with one-hot targets, and records unreadable files in `skipped`.
 *
 * @throws EmotionStreamError ERR_DATASET when root is missing, has an unknown class folder or holds no images.
 */
export async function loadClassFolders(
  root: string,
  format: 'kaggle-folders' | 'image-folder',
  options: ClassFoldersOptions = {},
): Promise<FaceDataset> {
  const dir = resolve(root);
  const expected = `${format} layout <dir>/<class>/<image>, class folders named ${EMOTIONS.join(', ')}`;
  requireDirectory(dir, expected);
  const listing = listClassImages(dir);
  const prefix = options.usage ? `${options.usage}_` : undefined;
  const images = prefix ? listing.images.filter((image) => fileName(image.source).startsWith(prefix)) : listing.images;
  if (images.length === 0) {
    const what = prefix ? `no ${prefix}* images` : 'no images';
    throw new EmotionStreamError('ERR_DATASET', `${what} in ${dir}: expected the ${expected}`, { context: { path: dir, format } });
  }
  const size = options.size ?? DEFAULT_FACE_SIZE;
  const name = `${format}:${dir}${options.usage ? ` (${options.usage})` : ''}`;
  const builder = new FaceDatasetBuilder(name, size, images.length);
  for (const item of listing.ignored) builder.skip(item.source, item.reason);
  const inputs = images.map((image) => ({ path: image.path, source: image.source, target: image.label }));
  await decodeImageFiles(inputs, builder, options.onProgress);
  return builder.build();
}

function fileName(source: string): string {
  return source.slice(source.lastIndexOf('/') + 1);
}
