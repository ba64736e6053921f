import type { BackendChoice } from '../../config/schema.ts';
import { initTfBackend } from '../../pipeline/models/tf-backend.ts';
import { registerTrainingGradients } from './wasm-gradients.ts';

export type { BackendChoice };

/**
 * The inference backend (pipeline/models/tf-backend.ts) plus what training needs on top: on
 * wasm, the convolution gradients tfjs lacks there. Returns the active backend's name.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const name = await initTfBackend(choice);
  if (name === 'wasm') registerTrainingGradients('wasm');
  return name;
}
