/** The on-disk dataset layouts the loaders understand. */
export type DatasetFormat = 'kaggle-folders' | 'ferplus' | 'fer-csv' | 'image-folder';

/** FER2013's original split names (fer2013.csv `Usage` column, Kaggle test file-name prefixes). */
export type FerUsage = 'Training' | 'PublicTest' | 'PrivateTest';

/** FER+ targets: one-hot of the majority vote, or the vote shares over the 7 classes. */
export type FerPlusTarget = 'majority' | 'distribution';

/** Options every loader accepts. */
export interface LoaderOptions {
  /** Side of the square output images in pixels; default 48 (FER2013). */
  size?: number;
  /** Called as images are decoded: `done` of `total` image files (for a csv: bytes read of the file size). */
  onProgress?: (done: number, total: number) => void;
}

/** The default image side: FER2013's 48 x 48. */
export const DEFAULT_FACE_SIZE = 48;
