import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmotionStreamError } from '../pipeline/errors.ts';
import { pipelineConfigSchema, type PipelineConfig } from './schema.ts';

/**
 * Parses a pipeline configuration once, from an optional YAML/JSON file overlaid with values
 * from the command line. Errors name every bad field in one message.
 */
export function loadPipelineConfig(options: { file?: string; overrides?: Record<string, unknown> } = {}): PipelineConfig {
  const fromFile = options.file ? readConfigFile(options.file) : {};
  const merged = deepMerge(fromFile, options.overrides ?? {});
  const parsed = pipelineConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const where = options.file ? ` in ${options.file}` : '';
    throw new EmotionStreamError('ERR_CONFIG', `invalid configuration${where}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new EmotionStreamError('ERR_CONFIG', `config file not found: ${file}`);
  try {
    const value = parseYaml(readFileSync(file, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('top level must be a mapping');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new EmotionStreamError('ERR_CONFIG', `config file ${file} cannot be parsed: ${(cause as Error).message}`, { cause });
  }
}

export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}
