import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import type { BackendChoice } from '../../config/schema.ts';
import { Replica } from './replica.ts';
import { buildArchitecture } from '../architectures/architecture.ts';
import { BatchBuilder } from './batch-builder.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';

/**
 * A data-parallel training worker: its own tfjs backend (wasm runs one thread per worker, so
 * one worker per core), its own model replica, the dataset shared read-only. Each step it
 * builds its share of the batch (augmented), writes gradients into its shared slot, and on
 * the next message applies the averaged gradient the coordinator prepared.
 */
const init = workerData as WorkerInit;
const port = parentPort!;
const send = (msg: FromWorker) => port.postMessage(msg);

async function main(): Promise<void> {
  await initBackend(init.backend as BackendChoice);
  const model = buildArchitecture(init.arch, { inputSize: init.inputSize, classes: init.classes });
  const replica = new Replica(model, init.learningRate);
  const grads = new Float32Array(init.grads);
  const averaged = new Float32Array(init.averaged);
  const batches = new BatchBuilder({
    pixels: new Uint8Array(init.pixels),
    targets: new Float32Array(init.targets),
    size: init.inputSize,
    classes: init.classes,
    classWeights: init.classWeights,
    augment: init.augment,
  });
  port.on('message', (msg: ToWorker) => {
    try {
      handle(msg, replica, { grads, averaged, batches });
    } catch (err) {
      const e = err as Error;
      send({ type: 'error', message: e.message, stack: e.stack });
    }
  });
  send({ type: 'ready', gradSize: replica.gradSize });
}

function handle(msg: ToWorker, replica: Replica, ctx: { grads: Float32Array; averaged: Float32Array; batches: BatchBuilder }): void {
  switch (msg.type) {
    case 'set-weights':
      replica.setWeights(msg.weights);
      if (msg.optimizer) void replica.setOptimizerState(msg.optimizer).then(() => send({ type: 'weights-set' }));
      else send({ type: 'weights-set' });
      return;
    case 'step': {
      replica.setLearningRate(msg.learningRate);
      if (msg.applyAveraged) replica.applyGradients(ctx.averaged);
      // A batch smaller than the worker count leaves some workers no images: a forward pass on
      // zero images fails, and the coordinator gives a zero-count share zero weight anyway.
      if (msg.indices.length === 0) return send({ type: 'step-done', lossSum: 0, correct: 0, count: 0 });
      const batch = ctx.batches.build(msg.indices, msg.seed);
      const { lossSum, correct } = replica.computeGradients(batch, ctx.grads);
      send({ type: 'step-done', lossSum, correct, count: batch.count });
      return;
    }
    case 'apply':
      replica.setLearningRate(msg.learningRate);
      replica.applyGradients(ctx.averaged);
      send({ type: 'applied' });
      return;
    case 'get-state':
      void replica.getOptimizerState().then((optimizer) => send({ type: 'state', weights: replica.getWeights(), optimizer }));
      return;
    case 'close':
      tf.disposeVariables();
      port.close();
      return;
  }
}

main().catch((err: Error) => send({ type: 'error', message: err.message, stack: err.stack }));
