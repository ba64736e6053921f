import type { LayersModel, io } from '@tensorflow/tfjs';
import { tf } from './tfjs.ts';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Reads and writes tfjs layers models as a directory (model.json + weights.bin), the format
 * tf.loadLayersModel reads in the browser too. Written without tfjs-node's file:// handler so
 * it works on every backend.
 */
export async function saveModelDir(model: LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData as ArrayBuffer;
    const modelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    await atomicWrite(join(dir, 'weights.bin'), Buffer.from(weightData));
    await atomicWrite(join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

/** Loads a model directory; missing or corrupt files become ERR_MODEL_LOAD naming the file. */
export async function loadModelDir(dir: string): Promise<LayersModel> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new EmotionStreamError('ERR_MODEL_LOAD', `model directory ${dir} has no model.json`, { context: { dir } });
  let modelJson: { modelTopology: object; weightsManifest: io.WeightsManifestConfig };
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `${jsonPath} is not valid JSON`, { cause, context: { dir } });
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `${jsonPath} is not a tfjs layers model (no modelTopology/weightsManifest)`, { context: { dir } });
  }
  const { weightSpecs, weightData } = await readManifestWeights(jsonPath, modelJson.weightsManifest);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
  } catch (cause) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `cannot build the model in ${dir}: ${(cause as Error).message}`, { cause, context: { dir } });
  }
}

/**
 * The weight files a model.json's manifest lists (paths relative to it), read and joined as tfjs
 * wants them, checked against the bytes the manifest declares (quantised weights take 1 or 2
 * bytes a value): a missing file or a truncated one is ERR_MODEL_LOAD naming it.
 */
export async function readManifestWeights(jsonPath: string, manifest: io.WeightsManifestConfig): Promise<{ weightSpecs: io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  const dir = dirname(jsonPath);
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const weights = Buffer.concat(await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readWeights(join(dir, p)))));
  const bytesPerValue = (s: io.WeightsManifestEntry) => (s.quantization ? (s.quantization.dtype === 'uint8' ? 1 : 2) : s.dtype === 'bool' ? 1 : 4);
  const expected = weightSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerValue(s), 0);
  if (weights.byteLength !== expected) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `weights in ${dir} hold ${weights.byteLength} bytes, ${basename(jsonPath)} expects ${expected} (truncated or mismatched files)`, { context: { dir } });
  }
  return { weightSpecs, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) };
}

async function readWeights(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `weights file ${path} cannot be read`, { cause, context: { path } });
  }
}

/** Writes via a temp file and rename, so a crash never leaves a half-written file behind. */
export async function atomicWrite(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
