import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmotionStreamError } from '../common/errors.ts';
import { pipelineConfigSchema, stackConfigSchema, type PipelineConfig, type StackConfig } from './schema.ts';

export interface LoadConfigOptions {
  /** A YAML or JSON config file. */
  file?: string;
  /** Values under the file: a command's own defaults (e.g. live's webcam), which the file may change. */
  defaults?: Record<string, unknown>;
  /** Values over the file: command-line flags. Undefined entries leave the value below alone. */
  overrides?: Record<string, unknown>;
}

/**
 * Parses a pipeline configuration once: `defaults`, then the optional YAML/JSON file, then
 * `overrides`, each layer merged key by key over the one below. Errors name every bad field in
 * one message (ERR_CONFIG).
 */
export function loadPipelineConfig(options: LoadConfigOptions = {}): PipelineConfig {
  return parseLayers(pipelineConfigSchema, options);
}

/** The same file and layers for a stack of workers: `source` is optional (only capture needs one). */
export function loadStackConfig(options: LoadConfigOptions = {}): StackConfig {
  return parseLayers(stackConfigSchema, options);
}

/**
 * The bus and metrics settings a deployment passes by environment (docker-compose): they sit
 * between the file and the command-line flags.
 */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const port = env.EMOTION_STREAM_METRICS_PORT;
  return {
    gateway: env.EMOTION_STREAM_API_TOKEN ? { token: env.EMOTION_STREAM_API_TOKEN } : undefined,
    bus: env.EMOTION_STREAM_REDIS_URL ? { transport: 'redis', redisUrl: env.EMOTION_STREAM_REDIS_URL } : undefined,
    metrics: port || env.EMOTION_STREAM_METRICS_HOST
      ? { port: port && /^\d+$/.test(port) ? Number(port) : port, host: env.EMOTION_STREAM_METRICS_HOST }
      : undefined,
  };
}

function parseLayers<S extends z.ZodType>(schema: S, options: LoadConfigOptions): z.infer<S> {
  const fromFile = options.file ? readConfigFile(options.file) : {};
  const merged = deepMerge(deepMerge(options.defaults ?? {}, fromFile), options.overrides ?? {});
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const where = options.file ? ` in ${options.file}` : '';
    throw new EmotionStreamError('ERR_CONFIG', `invalid configuration${where}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data as z.infer<S>;
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

/** "detector.scaleFactor: Too big: expected number to be <2; detector.fooBar: unknown key". */
export function formatIssues(error: z.ZodError): string {
  return error.issues.flatMap((issue) => {
    // Zod reports unknown keys on their parent object; a typo is found faster by its own path.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${keyPath([...issue.path, key])}: unknown key`);
    return [`${keyPath(issue.path) || '(root)'}: ${issue.message}`];
  }).join('; ');
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) && sameVariant(out[k], v) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/**
 * Objects of a discriminated union (source: file | webcam | rtsp) merge only within one variant:
 * `replay clip.mp4` over a file whose source is a webcam replaces the source, it does not graft
 * `path` onto `device`.
 */
function sameVariant(base: Record<string, unknown>, over: Record<string, unknown>): boolean {
  return !('type' in base) || !('type' in over) || base.type === over.type;
}
