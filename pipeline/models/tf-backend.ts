import { loadWasmBackend, tf } from './tfjs.ts';
import type { BackendChoice } from '../../config/schema.ts';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Picks the fastest tfjs backend that loads for inference: tfjs-node's native TensorFlow when
 * the optional package is installed (it downloads libtensorflow at install time, which not every
 * machine can), else wasm, else the pure-JS cpu backend (only on explicit request: about 1000x
 * slower for training). Returns the active backend's name. Training adds its gradients on top
 * (training/engine/backend.ts).
 *
 * @throws ERR_CONFIG when "tensorflow" is asked for and tfjs-node does not load.
 */
export async function initTfBackend(choice: BackendChoice = 'auto'): Promise<string> {
  if (choice === 'auto' || choice === 'tensorflow') {
    const loaded = await tryNative();
    if (loaded) return tf.getBackend();
    if (choice === 'tensorflow') {
      throw new EmotionStreamError('ERR_CONFIG', 'backend "tensorflow" requested but @tensorflow/tfjs-node is not installed or failed to load');
    }
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  }
  const before = { rejection: process.listeners('unhandledRejection'), exception: process.listeners('uncaughtException') };
  loadWasmBackend();
  await tf.setBackend('wasm');
  await tf.ready();
  // The wasm module's Emscripten runtime installs process handlers that rethrow every
  // unhandled error, which makes Node print its 100 kB minified source line instead of the
  // error. Errors are ours to report: remove them.
  for (const l of process.listeners('unhandledRejection')) if (!before.rejection.includes(l)) process.off('unhandledRejection', l);
  for (const l of process.listeners('uncaughtException')) if (!before.exception.includes(l)) process.off('uncaughtException', l);
  return 'wasm';
}

async function tryNative(): Promise<boolean> {
  try {
    // Optional dependency: absent on machines that cannot fetch libtensorflow.
    const name = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ name);
    await tf.setBackend('tensorflow');
    await tf.ready();
    return true;
  } catch {
    return false; // absence is the normal case here; the caller falls back to wasm
  }
}
