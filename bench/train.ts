/**
 * bench:train — training throughput of an architecture (default: the seed notebook's CNN) on
 * the active backend (tfjs-node if installed, else wasm with the registered gradients), with 1
 * and N data-parallel worker_threads, against the plain tfjs cpu backend measured in the same
 * run. Random data, batch 64 (cpu: a smaller batch, it is ~1000x slower). Last line: one JSON.
 *
 *   npm run bench:train [-- --arch seed|vgg-lite|mini-xception --steps 12 --workers 2]
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../training/engine/backend.ts';
import { DataParallelTrainer } from '../training/engine/data-parallel.ts';
import { Replica } from '../training/engine/replica.ts';
import { buildArchitecture } from '../training/architectures/architecture.ts';
import { augmentBatch } from '../training/augment/random-affine.ts';
import { Rng } from '../training/augment/rng.ts';
import { NOTEBOOK_AUGMENTATION } from '../training/engine/batch-builder.ts';

const { values } = parseArgs({ options: { arch: { type: 'string' }, steps: { type: 'string' }, workers: { type: 'string' }, 'cpu-batch': { type: 'string' } } });
const arch = values.arch ?? 'seed';
const steps = Number(values.steps ?? 12);
const maxWorkers = Number(values.workers ?? Math.min(availableParallelism(), 8));
const batch = 64;
const size = 48;
const classes = 7;

function randomData(n: number): { pixels: Uint8Array; targets: Float32Array } {
  const pixels = new Uint8Array(n * size * size).map(() => Math.floor(Math.random() * 256));
  const targets = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) targets[i * classes + Math.floor(Math.random() * classes)] = 1;
  return { pixels, targets };
}

async function workersImagesPerSec(backend: string, workers: number): Promise<number> {
  const data = randomData(batch * 4);
  const trainer = await DataParallelTrainer.start({
    workers, arch, inputSize: size, classes, learningRate: 1e-3, backend, pixels: data.pixels, targets: data.targets, classWeights: null, augment: null,
  });
  try {
    const indices = Int32Array.from({ length: batch }, (_, i) => i);
    for (let i = 0; i < 2; i++) await trainer.step(indices, i, 1e-3); // warm-up: kernel compilation, allocations
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(indices, i, 1e-3);
    return (steps * batch) / ((performance.now() - t0) / 1000);
  } finally {
    await trainer.close();
  }
}

async function cpuImagesPerSec(cpuBatch: number): Promise<number> {
  await tf.setBackend('cpu');
  const replica = new Replica(buildArchitecture(arch, { inputSize: size, classes }), 1e-3);
  const xs = new Float32Array(cpuBatch * size * size).map(() => Math.random());
  const ys = new Float32Array(cpuBatch * classes).map((_, i) => (i % classes === 0 ? 1 : 0));
  const grads = new Float32Array(replica.gradSize);
  replica.computeGradients({ xs, ys, count: cpuBatch }, grads); // warm-up
  const t0 = performance.now();
  replica.computeGradients({ xs, ys, count: cpuBatch }, grads);
  replica.applyGradients(grads);
  return cpuBatch / ((performance.now() - t0) / 1000);
}

/** Median milliseconds to augment one batch (notebook settings) on the main thread; each worker pays it per share. */
function augmentMsPerBatch(): number {
  const { pixels } = randomData(100);
  const indices = Int32Array.from({ length: batch }, (_, i) => (i * 37) % 100);
  const out = new Float32Array(batch * size * size);
  const rng = new Rng(8);
  const run = () => augmentBatch({ pixels, size, indices, rng, params: NOTEBOOK_AUGMENTATION, out });
  for (let i = 0; i < 20; i++) run(); // warm-up: JIT
  const times = Array.from({ length: 31 }, () => {
    const t0 = performance.now();
    run();
    return performance.now() - t0;
  }).sort((a, b) => a - b);
  return times[15];
}

const augmentMs = augmentMsPerBatch();
process.stderr.write(`augmentation: ${augmentMs.toFixed(2)} ms per ${batch}-image ${size}x${size} batch (median)\n`);
const backend = await initBackend('auto');
const results: Record<string, number> = {};
results.workers_1 = await workersImagesPerSec(backend, 1);
process.stderr.write(`${arch} on ${backend}, 1 worker: ${results.workers_1.toFixed(1)} images/s\n`);
if (maxWorkers > 1) {
  results[`workers_${maxWorkers}`] = await workersImagesPerSec(backend, maxWorkers);
  process.stderr.write(`${arch} on ${backend}, ${maxWorkers} workers: ${results[`workers_${maxWorkers}`].toFixed(1)} images/s\n`);
}
const cpuBatch = Number(values['cpu-batch'] ?? 4);
process.stderr.write(`baseline: plain tfjs cpu backend, batch ${cpuBatch} (slow)...\n`);
const cpu = await cpuImagesPerSec(cpuBatch);
process.stderr.write(`${arch} on cpu: ${cpu.toFixed(2)} images/s\n`);
const best = Math.max(...Object.values(results));
const summary = {
  bench: 'train', arch, backend, batch, steps, cores: availableParallelism(),
  images_per_sec: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 10) / 10])),
  cpu_baseline_images_per_sec: Math.round(cpu * 100) / 100,
  augment_ms_per_batch: Math.round(augmentMs * 100) / 100,
  ratio_vs_cpu: Math.round((best / cpu) * 10) / 10,
  worker_scaling: maxWorkers > 1 ? Math.round((results[`workers_${maxWorkers}`] / results.workers_1) * 100) / 100 : 1,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
