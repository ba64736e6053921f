import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Path of one of the sample photos shipped inside @vladmandic/face-api (demo/sample1..6.jpg):
 * real group and portrait photos with faces, used for the demo clip and as test fixtures.
 */
export function faceApiSamplePhoto(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  const pkg = require.resolve('@vladmandic/face-api/package.json');
  return join(dirname(pkg), 'demo', `sample${n}.jpg`);
}
