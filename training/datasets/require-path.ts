import { statSync } from 'node:fs';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Checks that `path` is an existing directory.
 * @param expected - what a valid dataset looks like, for the one-line error message.
 * @throws EmotionStreamError ERR_DATASET otherwise.
 */
export function requireDirectory(path: string, expected: string): void {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new EmotionStreamError('ERR_DATASET', `dataset path ${path} does not exist: expected a ${expected}`, { context: { path } });
  if (!stat.isDirectory()) {
    throw new EmotionStreamError('ERR_DATASET', `dataset path ${path} is not a directory: expected a ${expected}`, { context: { path } });
  }
}
