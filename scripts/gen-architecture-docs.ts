/**
 * Rewrites the generated block of docs/architecture.md (between the `imports:begin` and
 * `imports:end` markers): which folder imports which, counted from the code's own imports.
 * `npm run docs:architecture`; a test fails when the block is stale or an import points up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderImportBlock, replaceImportBlock } from './import-block.ts';

const root = join(import.meta.dirname, '..');
const path = join(root, 'docs', 'architecture.md');
writeFileSync(path, replaceImportBlock(readFileSync(path, 'utf8'), renderImportBlock(root)));
process.stderr.write('wrote the import picture of docs/architecture.md\n');
