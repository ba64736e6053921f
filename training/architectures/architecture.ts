import type * as tf from '@tensorflow/tfjs';
import { EmotionStreamError } from '../../common/errors.ts';
import { miniXception } from './mini-xception.ts';
import { seedCnn } from './seed-cnn.ts';
import { vggLite } from './vgg-lite.ts';
import { tinyCnn } from './tiny-cnn.ts';
import type { ArchitectureOptions } from './architecture-options.ts';

/** Architectures by name: the explicit list users pick from with `--arch`. */
export const ARCHITECTURES = {
  seed: seedCnn,
  'vgg-lite': vggLite,
  'mini-xception': miniXception,
  /** Smoke tests and exact engine checks only (no BatchNorm, no dropout). */
  tiny: tinyCnn,
} as const;

export type ArchitectureName = keyof typeof ARCHITECTURES;

export function isArchitectureName(name: string): name is ArchitectureName {
  return Object.hasOwn(ARCHITECTURES, name);
}

export function buildArchitecture(name: string, options: ArchitectureOptions): tf.LayersModel {
  if (!isArchitectureName(name)) {
    throw new EmotionStreamError('ERR_USAGE', `unknown architecture "${name}" (choose one of: ${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  return ARCHITECTURES[name](options);
}
