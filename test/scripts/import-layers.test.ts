import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { importEdges, upwardImports } from '../../scripts/import-layers.ts';
import { renderImportBlock, replaceImportBlock } from '../../scripts/import-block.ts';

const root = join(import.meta.dirname, '..', '..');

test('no source file imports from a layer above its own (common < config < pipeline < training < services)', () => {
  const up = upwardImports(importEdges(root));
  assert.equal(up.map((e) => `${e.file} -> ${e.target}`), []);
});

test('docs/architecture.md shows the imports as they are (npm run docs:architecture)', () => {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  assert.fixture(replaceImportBlock(doc, renderImportBlock(root)), doc);
});

test('an import pointing up is found, with its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-layers-'));
  try {
    const write = (path: string, text: string) => { mkdirSync(dirname(join(dir, path)), { recursive: true }); writeFileSync(join(dir, path), text); };
    write('config/schema.ts', "import { x } from '../pipeline/stages/x.ts';\n");
    write('pipeline/stages/x.ts', "import { e } from '../../common/errors.ts';\nexport const x = e;\n");
    write('common/errors.ts', 'export const e = 1;\n');
    const up = upwardImports(importEdges(dir));
    assert.equal(up.map((e) => [e.file, e.target]), [['config/schema.ts', 'pipeline/stages/x.ts']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
