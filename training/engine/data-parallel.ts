import { Worker } from 'node:worker_threads';
import { EmotionStreamError } from '../../common/errors.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';
import type { AugmentParams } from './batch-builder.ts';

type OptimizerState = { name: string; shape: number[]; data: Float32Array }[];

export interface DataParallelOptions {
  workers: number;
  arch: string;
  inputSize: number;
  classes: number;
  learningRate: number;
  backend: string;
  pixels: Uint8Array;
  targets: Float32Array;
  classWeights: number[] | null;
  augment: AugmentParams | null;
}

/**
 * Synchronous data-parallel training over worker_threads: each step splits the batch across
 * workers, waits for every worker's gradient, averages them (weighted by share size) into a
 * shared buffer, and every replica applies that same average at the start of its next step,
 * so the replicas stay identical while only one message round trip is paid per step.
 */
export class DataParallelTrainer {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<Worker, (msg: FromWorker) => void>();
  private gradSlots: Float32Array[] = [];
  private averaged!: Float32Array;
  private needsApply = false;
  private failure: Error | null = null;

  private constructor(private readonly options: DataParallelOptions) {}

  static async start(options: DataParallelOptions): Promise<DataParallelTrainer> {
    const trainer = new DataParallelTrainer(options);
    try {
      await trainer.spawn();
    } catch (err) {
      // Workers that did start would keep the process alive after the error is reported.
      await trainer.close();
      throw err;
    }
    return trainer;
  }

  private async spawn(): Promise<void> {
    const o = this.options;
    const pixels = toShared(o.pixels);
    const targets = toShared(o.targets);
    // The first worker reports the gradient size; buffers are sized from the architecture.
    const probe = await this.gradientSize();
    this.averaged = new Float32Array(new SharedArrayBuffer(probe * 4));
    const starts: Promise<FromWorker>[] = [];
    for (let i = 0; i < o.workers; i++) {
      const grads = new SharedArrayBuffer(probe * 4);
      this.gradSlots.push(new Float32Array(grads));
      const init: WorkerInit = {
        arch: o.arch, inputSize: o.inputSize, classes: o.classes, learningRate: o.learningRate, backend: o.backend,
        pixels, targets, classWeights: o.classWeights, grads, averaged: this.averaged.buffer as SharedArrayBuffer,
        augment: o.augment, workerIndex: i,
      };
      const worker = new Worker(new URL('./train-worker.mjs', import.meta.url), { workerData: init });
      worker.on('message', (msg: FromWorker) => this.onMessage(worker, msg));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => { if (code !== 0) this.fail(new Error(`training worker ${i} exited with code ${code}`)); });
      this.workers.push(worker);
      starts.push(this.expect(worker));
    }
    await Promise.all(starts);
  }

  private async gradientSize(): Promise<number> {
    const { buildArchitecture } = await import('../architectures/architecture.ts');
    const model = buildArchitecture(this.options.arch, { inputSize: this.options.inputSize, classes: this.options.classes });
    const size = model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
    model.dispose();
    return size;
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (msg.type === 'error') return this.fail(Object.assign(new Error(`training worker failed: ${msg.message}`), { stack: msg.stack }));
    const resolve = this.pending.get(worker);
    this.pending.delete(worker);
    resolve?.(msg);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const resolve of this.pending.values()) resolve({ type: 'error', message: err.message });
    this.pending.clear();
  }

  private expect(worker: Worker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.wrap(this.failure));
      this.pending.set(worker, (msg) => (msg.type === 'error' ? reject(this.wrap(this.failure ?? new Error(msg.message))) : resolve(msg)));
    });
  }

  private wrap(err: Error): EmotionStreamError {
    return new EmotionStreamError('ERR_TRAINING', err.message, { cause: err });
  }

  private async request(worker: Worker, msg: ToWorker): Promise<FromWorker> {
    const reply = this.expect(worker);
    worker.postMessage(msg);
    return reply;
  }

  /** Sends every replica the same weights (and optimizer state, when resuming). */
  async setWeights(weights: Float32Array[], optimizer: OptimizerState | null): Promise<void> {
    await Promise.all(this.workers.map((w) => this.request(w, { type: 'set-weights', weights, optimizer })));
    this.needsApply = false;
  }

  /** One synchronous step over `indices` (split across workers); returns summed loss and correct count. */
  async step(indices: Int32Array, seed: number, learningRate: number): Promise<{ lossSum: number; correct: number; count: number }> {
    const shares = split(indices, this.workers.length);
    const replies = await Promise.all(this.workers.map((w, i) =>
      this.request(w, { type: 'step', applyAveraged: this.needsApply, learningRate, indices: shares[i], seed: seed * 131 + i })));
    const counts = replies.map((r) => (r.type === 'step-done' ? r.count : 0));
    this.average(counts);
    this.needsApply = true;
    return replies.reduce((acc, r) => (r.type === 'step-done'
      ? { lossSum: acc.lossSum + r.lossSum, correct: acc.correct + r.correct, count: acc.count + r.count } : acc),
    { lossSum: 0, correct: 0, count: 0 });
  }

  private average(counts: number[]): void {
    const total = counts.reduce((a, b) => a + b, 0);
    const avg = this.averaged;
    avg.fill(0);
    this.gradSlots.forEach((slot, i) => {
      const w = counts[i] / total;
      if (w === 0) return;
      for (let k = 0; k < avg.length; k++) avg[k] += w * slot[k];
    });
  }

  /** Applies the last averaged gradient now (before reading weights at an epoch end). */
  async flush(learningRate: number): Promise<void> {
    if (!this.needsApply) return;
    await Promise.all(this.workers.map((w) => this.request(w, { type: 'apply', learningRate })));
    this.needsApply = false;
  }

  /**
   * Weights for checkpoints and validation: trainable weights are identical across replicas;
   * BatchNorm moving statistics saw different data on each, so they are averaged.
   */
  async state(): Promise<{ weights: Float32Array[]; optimizer: OptimizerState }> {
    const all = await this.replicaStates();
    const weights = all[0].weights.map((w, i) => {
      const out = new Float32Array(w.length);
      for (const s of all) for (let k = 0; k < w.length; k++) out[k] += s.weights[i][k] / all.length;
      return out;
    });
    return { weights, optimizer: all[0].optimizer };
  }

  /** Each replica's own weights and optimizer state, in worker order (state() combines them). */
  async replicaStates(): Promise<{ weights: Float32Array[]; optimizer: OptimizerState }[]> {
    const states = await Promise.all(this.workers.map((w) => this.request(w, { type: 'get-state' })));
    return states.flatMap((s) => (s.type === 'state' ? [{ weights: s.weights, optimizer: s.optimizer }] : []));
  }

  /** Ends every worker; later calls reject with ERR_TRAINING instead of waiting for a reply that never comes. */
  async close(): Promise<void> {
    this.failure ??= new Error('the data-parallel trainer is closed');
    await Promise.all(this.workers.map(async (w) => {
      w.postMessage({ type: 'close' } satisfies ToWorker);
      await new Promise<void>((resolve) => { const t = setTimeout(() => void w.terminate().then(() => resolve()), 2000); w.once('exit', () => { clearTimeout(t); resolve(); }); });
    }));
  }
}

function split(indices: Int32Array, parts: number): Int32Array[] {
  const out: Int32Array[] = [];
  const per = Math.ceil(indices.length / parts);
  for (let i = 0; i < parts; i++) out.push(indices.subarray(i * per, Math.min(indices.length, (i + 1) * per)));
  return out;
}

function toShared<T extends Uint8Array | Float32Array>(a: T): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buf;
}
