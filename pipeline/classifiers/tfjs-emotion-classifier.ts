import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../models/tfjs.ts';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTIONS, type EmotionScores } from '../messages.ts';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import { loadModelDir } from '../models/model-files.ts';
import type { ModelMetadata } from '../models/model-metadata.ts';
import type { EmotionClassifier } from './emotion-classifier.ts';
import { predictWithTta } from './test-time-augmentation.ts';
import type { TtaMode } from '../../config/schema.ts';

/**
 * A tfjs layers model directory (model.json, weights.bin, metadata.json) as an
 * EmotionClassifier. Loading checks what the pipeline relies on: the class list and order,
 * and an input of [size, size, 1] matching the metadata; a mismatch fails at start-up, not on
 * the first face.
 */
export class TfjsEmotionClassifier implements EmotionClassifier {
  private constructor(
    readonly model: LayersModel,
    readonly version: string,
    readonly inputSize: number,
    readonly metadata: ModelMetadata,
    readonly tta: TtaMode,
  ) {}

  /**
   * @param options.tta test-time augmentation (test-time-augmentation.ts): each face's scores
   *   averaged over its mirror image (flip) or over mirrored and shifted views (shift).
   */
  static async load(dir: string, options: { tta?: TtaMode } = {}): Promise<TfjsEmotionClassifier> {
    if (!existsSync(dir)) throw new EmotionStreamError('ERR_MODEL_LOAD', `model directory not found: ${dir}`, { context: { dir } });
    const metadata = await readMetadata(dir);
    const model = await loadModelDir(dir);
    const shape = model.inputs[0].shape;
    const size = metadata.input.size;
    if (shape[1] !== size || shape[2] !== size || shape[3] !== 1) {
      model.dispose();
      throw new EmotionStreamError('ERR_MODEL_INVALID', `model in ${dir} takes input ${JSON.stringify(shape)}, metadata says ${size}x${size}x1`, { context: { dir } });
    }
    if (model.outputs[0].shape[1] !== EMOTIONS.length) {
      model.dispose();
      throw new EmotionStreamError('ERR_MODEL_INVALID', `model in ${dir} outputs ${model.outputs[0].shape[1]} classes, expected ${EMOTIONS.length}`, { context: { dir } });
    }
    const classifier = new TfjsEmotionClassifier(model, `${metadata.name}@${metadata.version}`, size, metadata, options.tta ?? 'none');
    // The first predict sets the backend's kernels up (about 0.1 s): at load, beside the rest of
    // start-up rather than on the first frame, and a model that cannot run fails here.
    try {
      classifier.classify(new Float32Array(size * size), 1);
    } catch (err) {
      model.dispose();
      throw new EmotionStreamError('ERR_MODEL_INVALID', `model in ${dir} does not run: ${errorMessage(err)}`, { cause: err, context: { dir } });
    }
    return classifier;
  }

  classify(crops: Float32Array, count: number): EmotionScores[] {
    if (count === 0) return [];
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(crops.subarray(0, count * this.inputSize * this.inputSize), [count, this.inputSize, this.inputSize, 1]);
      return predictWithTta(this.model, x, this.tta);
    });
    const values = probs.dataSync();
    probs.dispose();
    const out: EmotionScores[] = [];
    for (let i = 0; i < count; i++) {
      const scores = {} as EmotionScores;
      EMOTIONS.forEach((e, c) => { scores[e] = values[i * EMOTIONS.length + c]; });
      out.push(scores);
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

async function readMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(dir, 'metadata.json');
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(await readFile(path, 'utf8')) as ModelMetadata;
  } catch (cause) {
    const why = existsSync(path) ? 'is not valid JSON' : 'is missing';
    throw new EmotionStreamError('ERR_MODEL_LOAD', `${path} ${why}`, { cause, context: { dir } });
  }
  const classes = meta.classes ?? [];
  if (classes.length !== EMOTIONS.length || classes.some((c, i) => c !== EMOTIONS[i])) {
    throw new EmotionStreamError('ERR_MODEL_INVALID', `${path} lists classes ${JSON.stringify(classes)}; the pipeline expects ${JSON.stringify(EMOTIONS)}`, { context: { dir } });
  }
  if (!meta.input?.size || !meta.version || !meta.name) {
    throw new EmotionStreamError('ERR_MODEL_INVALID', `${path} lacks name, version or input.size`, { context: { dir } });
  }
  return meta;
}
