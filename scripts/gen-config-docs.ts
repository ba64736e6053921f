/**
 * Generates docs/config.md (a table of every config field with its default and description)
 * and schema/config.schema.json from the zod schema in config/schema.ts, so the docs cannot
 * drift from what start-up validates. `npm run docs:config`; a test fails when they are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../config/config-docs.ts';

const root = join(import.meta.dirname, '..');
const { markdown, jsonSchema } = renderConfigDocs();
writeFileSync(join(root, 'docs', 'config.md'), markdown);
writeFileSync(join(root, 'schema', 'config.schema.json'), jsonSchema);
process.stderr.write('wrote docs/config.md and schema/config.schema.json\n');
