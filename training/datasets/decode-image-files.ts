import { errorMessage } from '../../common/errors.ts';
import { decodeFaceImage } from './decode-face-image.ts';
import type { FaceDatasetBuilder } from './face-dataset-builder.ts';

/** One file to decode into a dataset. */
export interface ImageFileInput {
  path: string;
  source: string;
  /** A class index (one-hot target) or 7 target probabilities in EMOTIONS order. */
  target: number | ArrayLike<number>;
}

/** Images decoded between two yields to the event loop (and progress reports). */
const CHUNK = 512;

/**
 * Decodes files into `builder`, in order. A file that cannot be read or decoded is recorded in
 * the builder's `skipped` with the reason and never stops the load.
 *
 * Why synchronous reads in chunks: on small files readFileSync + imdecode measured ~2.5x faster
 * than async reads (no promise per file); yielding every CHUNK images keeps timers, signals and
 * progress reporting alive during a long load.
 */
export async function decodeImageFiles(
  inputs: readonly ImageFileInput[],
  builder: FaceDatasetBuilder,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  for (let start = 0; start < inputs.length; start += CHUNK) {
    const end = Math.min(inputs.length, start + CHUNK);
    for (let i = start; i < end; i++) {
      const input = inputs[i];
      let pixels: Uint8Array;
      try {
        pixels = decodeFaceImage(input.path, builder.size);
      } catch (err) {
        builder.skip(input.source, errorMessage(err));
        continue;
      }
      builder.add(pixels, input.target, input.source);
    }
    onProgress?.(end, inputs.length);
    if (end < inputs.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
