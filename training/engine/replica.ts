import * as tf from '@tensorflow/tfjs';

/**
 * One model replica with its optimizer: computes gradients for a batch and applies (averaged)
 * gradients given as one flat Float32Array in trainable-weight order. Data-parallel workers
 * each hold one; applying the same averaged gradients keeps them identical.
 */
export class Replica {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.AdamOptimizer;
  private readonly vars: tf.Variable[];
  /** Number of floats in the flat gradient (all trainable weights). */
  readonly gradSize: number;

  constructor(model: tf.LayersModel, learningRate: number) {
    this.model = model;
    this.optimizer = tf.train.adam(learningRate);
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.gradSize = this.vars.reduce((n, v) => n + v.size, 0);
  }

  setLearningRate(lr: number): void {
    // AdamOptimizer reads learningRate on every applyGradients call.
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  /**
   * Forward + backward on one batch (training mode: dropout on, BatchNorm batch statistics and
   * moving averages updated). Writes the gradient into `out` at `offset` and returns the summed
   * loss and the number of correct argmax predictions (sums, so callers can weight by size).
   */
  computeGradients(batch: { xs: Float32Array; ys: Float32Array; count: number; sampleWeights?: Float32Array }, out: Float32Array): { lossSum: number; correct: number } {
    const size = this.model.inputs[0].shape[1] as number;
    const classes = this.model.outputs[0].shape[1] as number;
    const result = tf.tidy(() => {
      const xs = tf.tensor4d(batch.xs.subarray(0, batch.count * size * size), [batch.count, size, size, 1]);
      const ys = tf.tensor2d(batch.ys.subarray(0, batch.count * classes), [batch.count, classes]);
      const w = batch.sampleWeights ? tf.tensor1d(batch.sampleWeights.subarray(0, batch.count)) : undefined;
      let correct: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const probs = this.model.apply(xs, { training: true }) as tf.Tensor2D;
        // variableGrads disposes everything but the loss: keep the accuracy count alive.
        correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, 1), tf.argMax(ys, 1)), 'int32')));
        const perSample = tf.neg(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(probs, 1e-7, 1))), 1));
        const weighted = w ? tf.mul(perSample, w) : perSample;
        return tf.mean(weighted) as tf.Scalar;
      }, this.vars);
      return { value, correct: correct!, grads: this.vars.map((v) => grads[v.name]) };
    });
    let offset = 0;
    for (const g of result.grads) {
      out.set(g.dataSync() as Float32Array, offset);
      offset += g.size;
    }
    const loss = result.value.dataSync()[0];
    const correct = result.correct.dataSync()[0];
    tf.dispose([result.value, result.correct, ...result.grads]);
    return { lossSum: loss * batch.count, correct };
  }

  /** Applies a flat gradient (same layout as computeGradients writes). */
  applyGradients(flat: Float32Array): void {
    tf.tidy(() => {
      const named: tf.NamedTensorMap = {};
      let offset = 0;
      for (const v of this.vars) {
        named[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
        offset += v.size;
      }
      this.optimizer.applyGradients(named as tf.NamedTensorMap & Record<string, tf.Variable>);
    });
  }

  /** All model weights (trainable and BatchNorm moving statistics), flattened. */
  getWeights(): Float32Array[] {
    return this.model.getWeights().map((w) => w.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  }

  setWeights(values: Float32Array[]): void {
    const current = this.model.getWeights();
    const tensors = values.map((v, i) => tf.tensor(v, current[i].shape));
    this.model.setWeights(tensors);
    tf.dispose(tensors);
  }

  async getOptimizerState(): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
    const named = await this.optimizer.getWeights();
    return named.map((n) => ({ name: n.name, shape: n.tensor.shape, data: Float32Array.from(n.tensor.dataSync() as Float32Array) }));
  }

  async setOptimizerState(state: { name: string; shape: number[]; data: Float32Array }[]): Promise<void> {
    const named = state.map((s) => ({ name: s.name, tensor: tf.tensor(s.data, s.shape) }));
    await this.optimizer.setWeights(named);
  }
}
