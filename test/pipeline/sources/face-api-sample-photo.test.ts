import { statSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { faceApiSamplePhoto } from '../../../pipeline/sources/face-api-sample-photo.ts';

test('the six sample photos ship with @vladmandic/face-api and are JPEGs', () => {
  for (const n of [1, 2, 3, 4, 5, 6] as const) {
    const path = faceApiSamplePhoto(n);
    assert.match(path, new RegExp(`@vladmandic/face-api/demo/sample${n}\\.jpg$`));
    assert.ok(statSync(path).size > 100_000, `${path} is too small to be a photo`);
  }
});

test.run();
