/**
 * bench:classify — what test-time augmentation costs: milliseconds per classify() call of the
 * shipped model for batches of 1, 4 and 16 faces with tta none (the baseline, measured in the
 * same run), flip and shift, on the active backend. Real face crops (the sample photo's faces,
 * repeated to fill the batch). Last line: one JSON object.
 *
 *   npm run bench:classify [-- --reps 40 --model models/emotion]
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { initBackend } from '../training/engine/backend.ts';
import { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { TTA_MODES } from '../config/schema.ts';
import { cropFaces } from '../pipeline/classifiers/face-crops.ts';
import { resolveModelDir, shippedModelFamily } from '../pipeline/models/model-registry.ts';
import { sample3WithFaces } from '../test/helpers/sample-faces.ts';

const { values } = parseArgs({ options: { reps: { type: 'string' }, model: { type: 'string' } } });
const reps = Number(values.reps ?? 40);
const backend = await initBackend('auto');
const dir = resolveModelDir(values.model ? resolve(values.model) : shippedModelFamily());
const { photo, faces } = sample3WithFaces();
const BATCHES = [1, 4, 16];

const ms: Record<string, Record<number, number>> = {};
let version = '';
for (const tta of TTA_MODES) {
  const classifier = await TfjsEmotionClassifier.load(dir, { tta });
  version = classifier.version;
  const px = classifier.inputSize ** 2;
  const three = cropFaces(photo, faces, classifier.inputSize);
  ms[tta] = {};
  for (const n of BATCHES) {
    const crops = new Float32Array(n * px);
    for (let i = 0; i < n; i++) crops.set(three.subarray((i % faces.length) * px, (i % faces.length + 1) * px), i * px);
    for (let i = 0; i < 5; i++) classifier.classify(crops, n); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) classifier.classify(crops, n);
    ms[tta][n] = (performance.now() - t0) / reps;
  }
  classifier.dispose();
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
console.log(`model ${version}, backend ${backend}, ${reps} calls per cell (ms per classify call)`);
console.log(`tta    ${BATCHES.map((n) => `${n} face${n > 1 ? 's' : ''}`.padStart(16)).join('')}`);
for (const tta of TTA_MODES) {
  const cells = BATCHES.map((n) => `${ms[tta][n].toFixed(1)} (${(ms[tta][n] / ms.none[n]).toFixed(1)}x)`.padStart(16));
  console.log(`${tta.padEnd(7)}${cells.join('')}`);
}
console.log(JSON.stringify({
  bench: 'classify', model: version, backend, reps,
  ms_per_call: Object.fromEntries(TTA_MODES.map((t) => [t, Object.fromEntries(BATCHES.map((n) => [n, round(ms[t][n])]))])),
  ratio_to_none: Object.fromEntries(TTA_MODES.map((t) => [t, Object.fromEntries(BATCHES.map((n) => [n, round(ms[t][n] / ms.none[n])]))])),
}));
