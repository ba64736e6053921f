import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EmotionStreamError } from '../common/errors.ts';
import type { EpochRecord } from '../pipeline/models/evaluation-result.ts';

type OptimizerState = { name: string; shape: number[]; data: Float32Array }[];

/** Everything needed to continue a run exactly where its last finished epoch left it. */
export interface TrainState {
  version: 1;
  /** The run's resolved options (JSON), so --resume needs no other flags. */
  options: Record<string, unknown>;
  /** Epochs completed (the next epoch to run is this number). */
  epochsDone: number;
  history: EpochRecord[];
  /** The best model so far; `swa` when it is the weight average after that epoch rather than the epoch's own weights. */
  best: { epoch: number; valAccuracy: number; swa?: true } | null;
  /** Seconds of training across all sessions of this run. */
  trainSeconds: number;
  startedAt: string;
}

export interface Checkpoint {
  state: TrainState;
  weights: Float32Array[];
  optimizer: OptimizerState;
  /** Stochastic weight averaging: the mean of `count` epoch-end weights (runs with swaStart). */
  swa?: { count: number; weights: Float32Array[] };
}

const CURRENT = 'checkpoint';

/**
 * Writes the checkpoint into a fresh folder and swaps it in with renames, so a process killed
 * at any moment (kill -9 mid-write included) leaves either the previous or the new checkpoint.
 * The best epoch's model lives inside it (`best/`), written by `writeBest` when this epoch
 * improved and carried over from the previous checkpoint otherwise, so the state's `best` and
 * the best model can never disagree.
 */
export async function saveCheckpoint(runDir: string, ckpt: Checkpoint, writeBest?: (dir: string) => Promise<void>): Promise<void> {
  const tmp = join(runDir, `${CURRENT}.tmp`);
  const old = join(runDir, `${CURRENT}.old`);
  const cur = join(runDir, CURRENT);
  try {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'weights.bin'), packArrays(ckpt.weights));
    await writeFile(join(tmp, 'optimizer.bin'), packArrays(ckpt.optimizer.map((o) => o.data)));
    if (ckpt.swa) await writeFile(join(tmp, 'swa.bin'), packArrays(ckpt.swa.weights));
    const meta = {
      state: ckpt.state, weightSizes: ckpt.weights.map((w) => w.length), optimizer: ckpt.optimizer.map((o) => ({ name: o.name, shape: o.shape })),
      ...(ckpt.swa ? { swaCount: ckpt.swa.count } : {}),
    };
    const previousBest = bestModelDir(runDir);
    if (writeBest) await writeBest(join(tmp, 'best'));
    else if (previousBest) await cp(previousBest, join(tmp, 'best'), { recursive: true });
    await writeFile(join(tmp, 'checkpoint.json'), JSON.stringify(meta, null, 1));
    // Only rotate when a current checkpoint exists: after a crash between the two renames,
    // checkpoint.old is the only complete one and must survive until the new one is in place.
    if (existsSync(cur)) {
      await rm(old, { recursive: true, force: true });
      await rename(cur, old);
    }
    await rename(tmp, cur);
    await rm(old, { recursive: true, force: true });
  } catch (cause) {
    throw new EmotionStreamError('ERR_CHECKPOINT', `cannot write checkpoint in ${runDir}`, { cause, context: { runDir } });
  }
}

/**
 * The best model of a run's latest complete checkpoint (`best/` in runs written before the
 * best model moved into the checkpoint), or null when there is none.
 */
export function bestModelDir(runDir: string): string | null {
  const candidates = [join(runDir, CURRENT), join(runDir, `${CURRENT}.old`)]
    .filter((d) => existsSync(join(d, 'checkpoint.json')))
    .map((d) => join(d, 'best'));
  return [...candidates.slice(0, 1), join(runDir, 'best')].find((d) => existsSync(join(d, 'model.json'))) ?? null;
}

/** Loads the latest complete checkpoint of a run, or null when the run has none yet. */
export async function loadCheckpoint(runDir: string): Promise<Checkpoint | null> {
  const dir = [join(runDir, CURRENT), join(runDir, `${CURRENT}.old`)].find((d) => existsSync(join(d, 'checkpoint.json')));
  if (!dir) return null;
  try {
    const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
      state: TrainState; weightSizes: number[]; optimizer: { name: string; shape: number[] }[]; swaCount?: number;
    };
    const weights = unpackArrays(await readFile(join(dir, 'weights.bin')), meta.weightSizes);
    const optSizes = meta.optimizer.map((o) => o.shape.reduce((a, b) => a * b, 1));
    const optData = unpackArrays(await readFile(join(dir, 'optimizer.bin')), optSizes);
    const swa = meta.swaCount ? { count: meta.swaCount, weights: unpackArrays(await readFile(join(dir, 'swa.bin')), meta.weightSizes) } : undefined;
    return { state: meta.state, weights, optimizer: meta.optimizer.map((o, i) => ({ ...o, data: optData[i] })), ...(swa ? { swa } : {}) };
  } catch (cause) {
    throw new EmotionStreamError('ERR_CHECKPOINT', `checkpoint in ${dir} is unreadable: ${(cause as Error).message}`, { cause, context: { dir } });
  }
}

function packArrays(arrays: Float32Array[]): Buffer {
  return Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

function unpackArrays(buf: Buffer, sizes: number[]): Float32Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (buf.byteLength !== total * 4) throw new Error(`expected ${total * 4} bytes, found ${buf.byteLength}`);
  const out: Float32Array[] = [];
  let offset = 0;
  for (const n of sizes) {
    out.push(new Float32Array(buf.buffer.slice(buf.byteOffset + offset * 4, buf.byteOffset + (offset + n) * 4)));
    offset += n;
  }
  return out;
}
