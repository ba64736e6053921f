import { createRequire } from 'node:module';
import type * as tfModule from '@tensorflow/tfjs';

/**
 * The one place the pipeline loads @tensorflow/tfjs. It is loaded with `require`: an ESM
 * `import` of tfjs's CommonJS build makes Node lex every file it re-exports (tfjs-core,
 * -layers, -converter, ...: megabytes) to find named exports, which cost about half a second
 * of every replay's start-up. Both ways share Node's module cache, so code that still imports
 * tfjs (training) gets this same instance and its backends.
 */
const require = createRequire(import.meta.url);

export const tf: typeof tfModule = withoutSourceMaps(() => require('@tensorflow/tfjs'));

/** Registers the wasm backend (its package's side effect), loaded the same way for the same reason. */
export function loadWasmBackend(): void {
  withoutSourceMaps(() => require('@tensorflow/tfjs-backend-wasm'));
}

/**
 * tsx turns Node's source-map support on, and Node then reads and parses the source map of every
 * CommonJS file as it loads; tfjs's are megabytes. Its stack frames are of no use to our users,
 * so maps stay off while it loads (our own TypeScript keeps its maps).
 */
function withoutSourceMaps<T>(load: () => T): T {
  const enabled = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return load();
  } finally {
    process.setSourceMapsEnabled(enabled);
  }
}
