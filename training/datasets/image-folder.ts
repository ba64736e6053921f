import type { FaceDataset } from './face-dataset.ts';
import { loadClassFolders, type ClassFoldersOptions } from './class-folders.ts';

/**
 * Loads users' own faces from `<root>/<class>/<image>`: any size, any format OpenCV decodes
 * (jpg, png, bmp, webp, tiff, pgm...), colour or gray. Class folder names must be among EMOTIONS
 * (case-insensitive); not every class needs a folder. Images are converted to grayscale and resized
 * to size x size (INTER_AREA when shrinking), without cropping: give it face crops.
 *
 * @throws EmotionStreamError ERR_DATASET when root is missing, a folder is not a class name (the
 *   message lists the valid names), or no images are found.
 */
export function loadImageFolder(root: string, options: ClassFoldersOptions = {}): Promise<FaceDataset> {
  return loadClassFolders(root, 'image-folder', options);
}
