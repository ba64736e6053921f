import type { FaceDataset } from './face-dataset.ts';
import { loadClassFolders, type ClassFoldersOptions } from './class-folders.ts';

/**
 * Loads FER2013 as Kaggle ships it ("msambare/fer2013"): `<root>/<class>/*.jpg` where root is the
 * `train` or `test` folder and class folders are angry, disgust, fear, happy, neutral, sad, surprise
 * (capitalised names accepted). Files are read in sorted order; `sources` are `<class>/<file>`, so
 * the test folder's PublicTest_/PrivateTest_ prefixes stay visible (see split-filter.ts), and
 * `options.usage` keeps only files with that prefix.
 *
 * @throws EmotionStreamError ERR_DATASET when root is missing, has a folder that is not a class, or holds no images.
 */
export function loadKaggleFolders(root: string, options: ClassFoldersOptions = {}): Promise<FaceDataset> {
  return loadClassFolders(root, 'kaggle-folders', options);
}
