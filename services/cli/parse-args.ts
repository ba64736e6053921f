import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EmotionStreamError } from '../../common/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with usage errors turned into one-line ERR_USAGE errors. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new EmotionStreamError('ERR_USAGE', `${(err as Error).message}\n${usage}`);
  }
}

/** A positive number from a flag, or a usage error naming the flag. */
export function numberFlag(value: string | undefined, flag: string, fallback: number, opts: { integer?: boolean; min?: number } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const min = opts.min ?? 0;
  if (!Number.isFinite(n) || n < min || (opts.integer && !Number.isInteger(n))) {
    throw new EmotionStreamError('ERR_USAGE', `--${flag} must be ${opts.integer ? 'an integer' : 'a number'} >= ${min}, got "${value}"`);
  }
  return n;
}
