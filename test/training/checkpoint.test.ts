import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestModelDir, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../training/checkpoint.ts';
import { isEmotionStreamError } from '../../common/errors.ts';
import { tempDir } from '../helpers/paths.ts';

const tmp = tempDir('es-ckpt-');
test.after(() => tmp.cleanup());

let runs = 0;
/** A fresh run directory per test. */
function runDir(): string {
  const dir = join(tmp.dir, `run-${++runs}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A checkpoint whose numbers all depend on `epochs`, so two of them never compare equal. */
function checkpoint(epochs: number): Checkpoint {
  const record = { epoch: epochs, loss: 1 / epochs, accuracy: 0.3, valLoss: 1.5, valAccuracy: 0.25 + epochs / 100, learningRate: 1e-3, seconds: 2, imagesPerSec: 30 };
  return {
    state: {
      version: 1, options: { arch: 'seed', epochs: 9, data: '/data/train' }, epochsDone: epochs,
      history: Array.from({ length: epochs }, (_, i) => ({ ...record, epoch: i + 1 })),
      best: { epoch: epochs, valAccuracy: record.valAccuracy }, trainSeconds: 2 * epochs, startedAt: '2026-01-01T00:00:00.000Z',
    },
    weights: [Float32Array.from([epochs, 2, 3, -4.5]), Float32Array.from({ length: 10 }, (_, i) => i * epochs), new Float32Array(0)],
    optimizer: [
      { name: 'iter', shape: [], data: Float32Array.from([epochs * 7]) },
      { name: 'w/m', shape: [2, 2], data: Float32Array.from([0.1, 0.2, 0.3, epochs]) },
      { name: 'w/v', shape: [2, 2], data: Float32Array.from([1, 2, 3, epochs]) },
    ],
  };
}

function assertSame(got: Checkpoint | null, want: Checkpoint): void {
  assert.ok(got, 'a checkpoint was loaded');
  assert.equal(got.state, want.state);
  assert.equal(got.weights.map((w) => Array.from(w)), want.weights.map((w) => Array.from(w)));
  assert.ok(got.weights.every((w) => w instanceof Float32Array));
  assert.equal(got.optimizer.map((o) => ({ ...o, data: Array.from(o.data) })), want.optimizer.map((o) => ({ ...o, data: Array.from(o.data) })));
}

async function expectCheckpointError(dir: string, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await loadCheckpoint(dir);
  } catch (err) {
    caught = err;
  }
  assert.ok(isEmotionStreamError(caught), `expected ERR_CHECKPOINT, got ${String(caught)}`);
  assert.is(caught.code, 'ERR_CHECKPOINT');
  assert.match(caught.message, message);
}

test('a run without a checkpoint loads as null', async () => {
  assert.is(await loadCheckpoint(runDir()), null);
  assert.is(await loadCheckpoint(join(tmp.dir, 'no-such-run')), null);
});

test('round trip: state, weights and optimizer state come back exactly', async () => {
  const dir = runDir();
  await saveCheckpoint(dir, checkpoint(1));
  assertSame(await loadCheckpoint(dir), checkpoint(1));
});

test('the weight average (SWA) round-trips with its snapshot count; a checkpoint without one loads without one', async () => {
  const dir = runDir();
  const swa = { count: 3, weights: [Float32Array.from([0.5, 1, 1.5, -2]), Float32Array.from({ length: 10 }, (_, i) => i / 3), new Float32Array(0)] };
  await saveCheckpoint(dir, { ...checkpoint(3), swa });
  const got = await loadCheckpoint(dir);
  assertSame(got, checkpoint(3));
  assert.is(got!.swa?.count, 3);
  assert.equal(got!.swa!.weights.map((w) => Array.from(w)), swa.weights.map((w) => Array.from(w)));
  await saveCheckpoint(dir, checkpoint(4));
  assert.is((await loadCheckpoint(dir))!.swa, undefined);
});

test('a later save replaces the earlier one and leaves no .tmp or .old behind', async () => {
  const dir = runDir();
  await saveCheckpoint(dir, checkpoint(1));
  await saveCheckpoint(dir, checkpoint(2));
  assertSame(await loadCheckpoint(dir), checkpoint(2));
  assert.not.ok(existsSync(join(dir, 'checkpoint.tmp')));
  assert.not.ok(existsSync(join(dir, 'checkpoint.old')));
});

test('killed between the renames (only checkpoint.old and a finished .tmp): the last complete one loads', async () => {
  const dir = runDir();
  await saveCheckpoint(dir, checkpoint(1));
  // What saveCheckpoint leaves after `rename(cur, old)` when the process dies before `rename(tmp, cur)`.
  const staging = runDir();
  await saveCheckpoint(staging, checkpoint(2));
  renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'));
  renameSync(join(staging, 'checkpoint'), join(dir, 'checkpoint.tmp'));
  assertSame(await loadCheckpoint(dir), checkpoint(1));
  // The resumed run saves its next epoch normally and cleans up.
  await saveCheckpoint(dir, checkpoint(3));
  assertSame(await loadCheckpoint(dir), checkpoint(3));
  assert.not.ok(existsSync(join(dir, 'checkpoint.old')));
  assert.not.ok(existsSync(join(dir, 'checkpoint.tmp')));
});

test('killed mid-write (a half-written checkpoint.tmp next to a good checkpoint): the good one loads', async () => {
  const dir = runDir();
  await saveCheckpoint(dir, checkpoint(1));
  mkdirSync(join(dir, 'checkpoint.tmp'));
  writeFileSync(join(dir, 'checkpoint.tmp', 'weights.bin'), Buffer.alloc(6));
  assertSame(await loadCheckpoint(dir), checkpoint(1));
  await saveCheckpoint(dir, checkpoint(2));
  assertSame(await loadCheckpoint(dir), checkpoint(2));
});

test('a save that fails when only checkpoint.old exists keeps checkpoint.old loadable', async () => {
  const dir = runDir();
  await saveCheckpoint(dir, checkpoint(1));
  renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'));
  // A dangling symlink where `checkpoint` goes: existsSync says no, and renaming the new
  // checkpoint folder onto it fails (ENOTDIR), a real failure between the rotation steps.
  symlinkSync(join(dir, 'nowhere'), join(dir, 'checkpoint'));
  let caught: unknown;
  try {
    await saveCheckpoint(dir, checkpoint(2));
  } catch (err) {
    caught = err;
  }
  assert.ok(isEmotionStreamError(caught) && caught.code === 'ERR_CHECKPOINT', `expected ERR_CHECKPOINT, got ${String(caught)}`);
  assertSame(await loadCheckpoint(dir), checkpoint(1));
});

test('the best model travels inside the checkpoint: written when an epoch improves, carried over otherwise', async () => {
  const dir = runDir();
  assert.is(bestModelDir(dir), null);
  const writeBest = (tag: string) => async (best: string) => {
    mkdirSync(best, { recursive: true });
    writeFileSync(join(best, 'model.json'), JSON.stringify({ tag }));
  };
  await saveCheckpoint(dir, checkpoint(1), writeBest('epoch-1'));
  await saveCheckpoint(dir, checkpoint(2));
  assert.is(bestModelDir(dir), join(dir, 'checkpoint', 'best'));
  assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint', 'best', 'model.json'), 'utf8')), { tag: 'epoch-1' });
  await saveCheckpoint(dir, checkpoint(3), writeBest('epoch-3'));
  assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint', 'best', 'model.json'), 'utf8')), { tag: 'epoch-3' });
  // Killed between the renames: the best model of the complete checkpoint.old is found.
  renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'));
  assert.is(bestModelDir(dir), join(dir, 'checkpoint.old', 'best'));
});

test('corrupt checkpoints are ERR_CHECKPOINT naming the problem, never silently a fresh start', async () => {
  const good = runDir();
  await saveCheckpoint(good, checkpoint(2));
  const variant = (name: string, damage: (ckptDir: string) => void): string => {
    const dir = join(tmp.dir, `corrupt-${name}`);
    cpSync(good, dir, { recursive: true });
    damage(join(dir, 'checkpoint'));
    return dir;
  };
  await expectCheckpointError(variant('json', (d) => writeFileSync(join(d, 'checkpoint.json'), '{"state": {"epochsDo')), /unreadable.*JSON/);
  await expectCheckpointError(variant('weights', (d) => truncateSync(join(d, 'weights.bin'), 10)), /expected \d+ bytes, found 10/);
  await expectCheckpointError(variant('optimizer', (d) => rmSync(join(d, 'optimizer.bin'))), /optimizer\.bin/);
  const meta = JSON.parse(readFileSync(join(good, 'checkpoint', 'checkpoint.json'), 'utf8'));
  await expectCheckpointError(variant('sizes', (d) => writeFileSync(join(d, 'checkpoint.json'), JSON.stringify({ ...meta, weightSizes: [1, 2] }))), /expected 12 bytes/);
});

test('an unwritable run directory is ERR_CHECKPOINT', async () => {
  const file = join(tmp.dir, 'a-file');
  writeFileSync(file, 'not a directory');
  let caught: unknown;
  try {
    await saveCheckpoint(file, checkpoint(1));
  } catch (err) {
    caught = err;
  }
  assert.ok(isEmotionStreamError(caught) && caught.code === 'ERR_CHECKPOINT', `got ${String(caught)}`);
});

test.run();
