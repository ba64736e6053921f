import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCheckpoint, type Checkpoint } from '../../../training/checkpoint.ts';
import { TfjsEmotionClassifier } from '../../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { initBackend } from '../../../training/engine/backend.ts';
import { shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import { tempDir } from '../../helpers/paths.ts';
import { CLI_BIN, lines, runCli } from '../../helpers/run-cli.ts';
import { writeTrainTestFolders } from '../../helpers/emotion-fixtures.ts';

const tmp = tempDir('es-train-cli-');
test.after(() => tmp.cleanup());
// The CLI runs in the temp dir: its dataset cache (.cache/datasets under the cwd) lands there too.
const cwd = tmp.dir;
let data: { train: string; test: string };

test.before(() => {
  data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 8, testPerClass: 2 });
});

/** The single line a failed command wrote to stderr (asserting it is one line, without a stack). */
function oneErrorLine(stderr: string): string {
  const all = lines(stderr);
  assert.is(all.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.not.match(stderr, /^\s+at /m, 'no stack trace');
  return all[0];
}

test('train: killed with SIGKILL mid-epoch 2, `train --resume <run>` finishes the run from the epoch-1 checkpoint', async () => {
  const runDir = join(tmp.dir, 'run-kill');
  const args = ['train', '--data', data.train, '--val', data.test, '--epochs', '3', '--batch-size', '8', '--workers', '2',
    '--arch', 'vgg-lite', '--backend', 'wasm', '--seed', '5', '--run-dir', runDir];
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: { ...process.env, LOG_LEVEL: 'info', DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let firstErr = '';
  child.stderr.on('data', (d) => { firstErr += d; });
  child.stdout.resume();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let ckpt: Checkpoint | null = null;
  try {
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(runDir, 'checkpoint', 'checkpoint.json'))) {
      assert.ok(Date.now() < deadline, `no checkpoint after 60 s; stderr:\n${firstErr}`);
      assert.is(child.exitCode, null, `the first run ended early:\n${firstErr}`);
      await sleep(20);
    }
    await sleep(50); // into epoch 2: its checkpoint is 7 training steps and a validation pass away
  } finally {
    child.kill('SIGKILL');
  }
  assert.is(await exited, 'SIGKILL');
  ckpt = await loadCheckpoint(runDir);
  assert.ok(ckpt, 'the epoch-1 checkpoint survives the kill');
  assert.is(ckpt.state.epochsDone, 1, 'killed during epoch 2, before its checkpoint');
  assert.equal(ckpt.state.history.map((h) => h.epoch), [1]);

  const resumed = await runCli(['train', '--resume', runDir], { cwd, timeoutMs: 120_000, env: { LOG_LEVEL: 'info' } });
  assert.not.ok(resumed.timedOut, 'resume finished (it keeps the run\'s 3 epochs when --epochs is not given)');
  assert.is(resumed.code, 0, resumed.stderr);
  const logs = lines(resumed.stderr).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const start = logs.find((l) => l.msg === 'resuming training');
  assert.ok(start, `logged that it resumed:\n${resumed.stderr}`);
  assert.is(start.resumedAtEpoch, 1);
  assert.not.ok(logs.some((l) => l.msg === 'starting training'));
  assert.match(resumed.stderr, /^epoch 2: /m);
  assert.match(resumed.stderr, /^epoch 3: /m);
  assert.not.match(resumed.stderr, /^epoch 1: /m, 'epoch 1 is not trained again');

  const summary = JSON.parse(lines(resumed.stdout).at(-1)!) as { runDir: string; modelDir: string; epochs: number };
  assert.is(summary.epochs, 3);
  assert.is(summary.runDir, runDir);
  const final = await loadCheckpoint(runDir);
  assert.ok(final);
  assert.equal(final.state.history.map((h) => h.epoch), [1, 2, 3]);
  assert.equal(final.state.history[0], ckpt.state.history[0], 'epoch 1 as recorded before the kill');
  assert.is(final.state.startedAt, ckpt.state.startedAt);
  assert.is(final.optimizer[0].data[0], 21, 'Adam state carried over: 3 epochs x 7 steps of 8 (56 images)');
  const report = JSON.parse(readFileSync(join(summary.modelDir, 'report.json'), 'utf8'));
  assert.equal(report.history.map((h: { epoch: number }) => h.epoch), [1, 2, 3]);
  await initBackend('wasm');
  const classifier = await TfjsEmotionClassifier.load(summary.modelDir);
  assert.is(classifier.inputSize, 48);
  classifier.dispose();
});

test('train: a missing --data path exits 1 with one line naming it, before creating the run directory', async () => {
  const runDir = join(tmp.dir, 'run-missing');
  const r = await runCli(['train', '--data', join(tmp.dir, 'no-such-data'), '--epochs', '1', '--run-dir', runDir], { cwd });
  assert.is(r.code, 1);
  assert.match(oneErrorLine(r.stderr), /^emotion-stream: dataset path .*no-such-data does not exist.*\[ERR_DATASET\]$/);
  assert.not.ok(existsSync(runDir));
  assert.is(r.stdout, '');
});

test('train: a missing --val path is reported the same way', async () => {
  const r = await runCli(['train', '--data', data.train, '--val', join(tmp.dir, 'no-val'), '--run-dir', join(tmp.dir, 'run-val')], { cwd });
  assert.is(r.code, 1);
  assert.match(oneErrorLine(r.stderr), /no-val does not exist.*\[ERR_DATASET\]$/);
});

test('train: an unknown --arch is a usage error (exit 2) listing the architectures, before any work', async () => {
  const runDir = join(tmp.dir, 'run-arch');
  const r = await runCli(['train', '--data', data.train, '--arch', 'resnet-9000', '--run-dir', runDir], { cwd });
  assert.is(r.code, 2);
  const line = oneErrorLine(r.stderr);
  assert.match(line, /resnet-9000/);
  assert.match(line, /seed, vgg-lite/);
  assert.match(line, /\[ERR_USAGE\]$/);
  assert.not.ok(existsSync(runDir));
});

test('train: bad --epochs values are usage errors (exit 2)', async () => {
  for (const bad of ['0', '2.5']) {
    const r = await runCli(['train', '--data', data.train, `--epochs=${bad}`, '--run-dir', join(tmp.dir, 'run-epochs')], { cwd });
    assert.is(r.code, 2, `--epochs ${bad}`);
    assert.match(oneErrorLine(r.stderr), new RegExp(`--epochs must be an integer >= 1, got "${bad}" \\[ERR_USAGE\\]`));
  }
});

test('train: bad --distill-* values are clear errors before any work', async () => {
  const runDir = join(tmp.dir, 'run-distill');
  const cases: Array<[string[], number, RegExp]> = [
    [['--distill-from', join(tmp.dir, 'fer')], 1, /fer holds no model .*\[ERR_MODEL_LOAD\]$/],
    [['--distill-from', join(tmp.dir, 'no-teacher')], 1, /model directory not found: .*no-teacher \[ERR_MODEL_LOAD\]$/],
    [['--distill-from', shippedModelFamily(), '--distill-weight', '1.5'], 2, /--distill-weight must be between 0 and 1, got "1.5" \[ERR_USAGE\]$/],
    [['--distill-from', shippedModelFamily(), '--distill-tta', 'rotate'], 2, /--distill-tta must be one of none, flip, shift, got "rotate" \[ERR_USAGE\]$/],
  ];
  for (const [flags, code, message] of cases) {
    const r = await runCli(['train', '--data', data.train, '--run-dir', runDir, ...flags], { cwd });
    assert.is(r.code, code, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(oneErrorLine(r.stderr), message);
    assert.not.ok(existsSync(runDir));
  }
});

test('train --resume on a directory without a checkpoint exits 1 saying so', async () => {
  const r = await runCli(['train', '--resume', join(tmp.dir, 'fer')], { cwd });
  assert.is(r.code, 1);
  assert.match(oneErrorLine(r.stderr), /no checkpoint there to resume from \[ERR_CHECKPOINT\]$/);
});

test.run();
