import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** The sample group/portrait photos shipped inside @vladmandic/face-api (sample1..6.jpg): real faces for fixtures. */
export { faceApiSamplePhoto } from '../../pipeline/sources/face-api-sample-photo.ts';

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = 'es-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
