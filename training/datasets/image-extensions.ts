import { extname } from 'node:path';

/** File extensions OpenCV 4.x decodes (lower case, with the dot). GIF and HEIC are not among them. */
const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.png', '.bmp', '.dib', '.webp', '.tif', '.tiff', '.pgm', '.ppm', '.pbm', '.pnm', '.jp2',
]);

/** Whether a file name has an image extension OpenCV can decode (case-insensitive). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}
