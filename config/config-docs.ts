import { z } from 'zod';
import { pipelineConfigSchema } from './schema.ts';

type JsonSchema = { const?: unknown; type?: string | string[]; description?: string; default?: unknown; properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; enum?: unknown[]; required?: string[] };

/** The config reference (markdown table) and JSON Schema, both derived from the zod schema. */
export function renderConfigDocs(): { markdown: string; jsonSchema: string } {
  const schema = z.toJSONSchema(pipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: string[] = [];
  walk(schema, '', rows);
  const markdown = [
    '# Configuration reference',
    '',
    'Generated from `config/schema.ts` by `npm run docs:config`; do not edit by hand.',
    'A config file (YAML or JSON, see `config/examples/`) is validated once at start-up; unknown keys are errors.',
    'Command-line flags override the file.',
    '',
    '| field | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  return { markdown, jsonSchema: `${JSON.stringify(schema, null, 2)}\n` };
}

function walk(node: JsonSchema, path: string, rows: string[]): void {
  const variants = node.oneOf ?? node.anyOf;
  if (node.properties) {
    if (path) rows.push(row(path, node));
    for (const [key, child] of Object.entries(node.properties)) walk(child, path ? `${path}.${key}` : key, rows);
  } else if (variants && variants.some((v) => v.properties)) {
    rows.push(row(path, node));
    for (const v of variants) {
      const kind = v.properties?.type?.const;
      const label = kind === undefined ? path : `${path} (type ${JSON.stringify(kind)})`;
      rows.push(row(label, { ...v, type: 'object', description: `when \`${path}.type\` is ${JSON.stringify(kind)}` }));
      for (const [key, child] of Object.entries(v.properties ?? {})) if (key !== 'type') walk(child, `${path}.${key}`, rows);
    }
  } else if (path) {
    rows.push(row(path, node));
  }
}

function row(path: string, node: JsonSchema): string {
  const type = node.const !== undefined ? JSON.stringify(node.const) : node.enum ? node.enum.map((e) => JSON.stringify(e)).join(' \\| ') : [node.type ?? (node.anyOf || node.oneOf ? 'one of' : '')].flat().join(' \\| ');
  const def = node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``;
  return `| \`${path}\` | ${type} | ${def} | ${(node.description ?? '').replace(/\|/g, '\\|')} |`;
}
