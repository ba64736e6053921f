import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import type { FerUsage } from './loader-options.ts';

/** FERPlus split folders and the FER2013 split each relabels (Valid = PublicTest, Test = PrivateTest). */
export const FERPLUS_SPLITS: Readonly<Record<FerUsage, string>> = {
  Training: 'FER2013Train',
  PublicTest: 'FER2013Valid',
  PrivateTest: 'FER2013Test',
};

const EXPECTED = 'FER+ split folder (FER2013Train, FER2013Valid or FER2013Test holding label.csv and the png images)';

/**
 * Finds the FER+ split folder to load: `path` itself when it holds label.csv, else
 * `<path>/<FERPLUS_SPLITS[usage]>` for the FERPlus root.
 *
 * @returns the absolute split folder.
 * @throws EmotionStreamError ERR_DATASET when no split folder is found, the root is given without
 *   `usage`, or `usage` contradicts the split folder's name.
 */
export function resolveFerPlusSplit(path: string, usage?: FerUsage): string {
  const dir = resolve(path);
  if (existsSync(join(dir, 'label.csv'))) {
    const named = (Object.keys(FERPLUS_SPLITS) as FerUsage[]).find((key) => FERPLUS_SPLITS[key] === basename(dir));
    if (usage && named && named !== usage) {
      throw new EmotionStreamError('ERR_DATASET', `${dir} is the FER+ ${named} split, but usage ${usage} was asked for (${FERPLUS_SPLITS[usage]})`, {
        context: { path: dir, usage },
      });
    }
    return dir;
  }
  const present = Object.values(FERPLUS_SPLITS).filter((split) => existsSync(join(dir, split, 'label.csv')));
  if (present.length === 0) {
    throw new EmotionStreamError('ERR_DATASET', `no FER+ data in ${dir}: expected a ${EXPECTED}, or the FERPlus root above them`, { context: { path: dir } });
  }
  if (!usage) {
    throw new EmotionStreamError('ERR_DATASET', `${dir} is a FER+ root with ${present.join(', ')}: choose one with usage Training, PublicTest or PrivateTest`, {
      context: { path: dir },
    });
  }
  const split = join(dir, FERPLUS_SPLITS[usage]);
  if (!existsSync(join(split, 'label.csv'))) {
    throw new EmotionStreamError('ERR_DATASET', `${split}/label.csv does not exist: expected a ${EXPECTED}`, { context: { path: split, usage } });
  }
  return split;
}
