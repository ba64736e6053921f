import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../../config/config-docs.ts';

const root = join(import.meta.dirname, '..', '..');

test('docs/config.md and schema/config.schema.json are regenerated from config/schema.ts (run npm run docs:config)', () => {
  const { markdown, jsonSchema } = renderConfigDocs();
  assert.is(readFileSync(join(root, 'docs', 'config.md'), 'utf8'), markdown);
  assert.is(readFileSync(join(root, 'schema', 'config.schema.json'), 'utf8'), jsonSchema);
});

test('the reference lists the notebook detector defaults and every top-level field', () => {
  const { markdown } = renderConfigDocs();
  for (const field of ['cameraId', 'source', 'mode', 'realtime', 'maxInFlight', 'detector.scaleFactor', 'detector.minNeighbors', 'detector.minSize', 'classifier.modelDir', 'output.annotatedVideo', 'output.websocket.port']) {
    assert.ok(markdown.includes(`| \`${field}\``), `missing row for ${field}`);
  }
  assert.match(markdown, /`detector.scaleFactor` \| number \| `1.1`/);
  assert.match(markdown, /`detector.minNeighbors` \| integer \| `5`/);
  assert.match(markdown, /`detector.minSize` \| integer \| `30`/);
});

test.run();
