import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RedisBus } from '../../../pipeline/bus/redis-bus.ts';
import { TOPICS } from '../../../pipeline/runners/bus-envelope.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import type { EpochRecord } from '../../../pipeline/models/evaluation-result.ts';
import type { ModelMetadata } from '../../../pipeline/models/model-metadata.ts';
import { loadCheckpoint } from '../../../training/checkpoint.ts';
import type { ModelNotice, TrainJob } from '../../../training/train-job.ts';
import { TRAIN_QUEUE } from '../../../services/workers/trainer.ts';
import { writeTrainTestFolders } from '../../helpers/emotion-fixtures.ts';
import { TestRedisServer } from '../../helpers/redis-server.ts';
import { WorkerProcess } from '../../helpers/worker-process.ts';
import { tempDir } from '../../helpers/paths.ts';

// Two `emotion-stream worker trainer` processes on a test-owned Redis: the first is killed
// mid-job, the second must take the job over and resume its run rather than start again.
const tmp = tempDir('es-trainer-redelivery-');
// Training worker threads resolve tsx from the working directory (see test/training/train.test.ts).
symlinkSync(resolve('node_modules'), join(tmp.dir, 'node_modules'));
const redis = await TestRedisServer.start(tmp.dir);
const runs = join(tmp.dir, 'runs');
const family = join(tmp.dir, 'models', 'emotion');
cpSync(resolveModelDir(shippedModelFamily()), join(family, 'v0'), { recursive: true });
const data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 8, testPerClass: 4 });
// A short trainer lock, so the dead trainer's job is handed over within seconds rather than 5
// minutes; still well above the longest pass on the trainer's thread here (export's evaluation, ~1 s).
const configFile = join(tmp.dir, 'stack.yaml');
writeFileSync(configFile, 'bus:\n  jobLockSeconds: 2\nworkers:\n  trainerLockSeconds: 10\n');
const PREFIX = 'es-redeliver';
const JOB_ID = 'redeliver-1';
const EPOCHS = 4;
const runDir = join(runs, JOB_ID);
const bus = await RedisBus.connect({ url: redis.url, prefix: PREFIX });
const trainers: WorkerProcess[] = [];

function trainer(name: string): WorkerProcess {
  const w = new WorkerProcess(name, ['trainer', '--redis', redis.url, '--prefix', PREFIX, '--log-level', 'info', '--config', configFile], {
    cwd: tmp.dir, env: { EMOTION_STREAM_RUNS_DIR: runs },
  });
  trainers.push(w);
  return w;
}

test.after(async () => {
  await Promise.all(trainers.map((w) => w.kill('SIGKILL')));
  await bus.close();
  await redis.kill();
  tmp.cleanup();
});

/** Polls `check` until it returns a value; fails at once if `owner` exits first. */
async function until<T>(check: () => T | undefined, owner: WorkerProcess, what: string): Promise<T> {
  for (;;) {
    const got = check();
    if (got !== undefined) return got;
    if (owner.child.exitCode !== null || owner.child.signalCode !== null) throw new Error(`${owner.name} exited before ${what}; stderr tail:\n${owner.stderr.slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Epochs the run's current checkpoint holds (undefined before the first one, or mid-rename). */
function epochsInCheckpoint(): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'checkpoint', 'checkpoint.json'), 'utf8')) as { state: { epochsDone: number } }).state.epochsDone;
  } catch {
    return undefined;
  }
}

const logsOf = (w: WorkerProcess, msg: string) => w.logs.filter((l) => l.msg === msg);

test('a job whose trainer is SIGKILLed mid-run goes to another trainer, which resumes its checkpoint and exports once', async () => {
  const first = trainer('trainer-1');
  await first.ready();
  const notices: ModelNotice[] = [];
  await bus.topic<ModelNotice>(TOPICS.models).subscribe((n) => notices.push(n));
  const job: TrainJob = { data: data.train, arch: 'vgg-lite', epochs: EPOCHS, batchSize: 16, limit: 42, workers: 1, family, promote: false };
  await bus.queue<TrainJob>(TRAIN_QUEUE).add(JOB_ID, job);

  // Killed once its first epoch is checkpointed, with epochs still to go.
  await until(() => ((epochsInCheckpoint() ?? 0) >= 1 ? true : undefined), first, 'its first checkpoint');
  await first.kill('SIGKILL');
  const killedAt = Date.now();
  const saved = await loadCheckpoint(runDir);
  assert.ok(saved, 'the run left a checkpoint');
  const done = saved.state.epochsDone;
  assert.ok(done >= 1 && done < EPOCHS, `killed mid-run (after epoch ${done} of ${EPOCHS})`);
  assert.is(logsOf(first, 'training job started').length, 1);
  assert.is(logsOf(first, 'training job finished: model version exported').length, 0, 'the first trainer did not finish');
  assert.equal(readdirSync(family), ['v0'], 'nothing exported before the kill');

  // The second trainer finds the job stalled once the dead one's lock lapses, and resumes it.
  const second = trainer('trainer-2');
  await until(() => (notices.length > 0 ? true : undefined), second, 'the models notice');
  await until(() => logsOf(second, 'training job finished: model version exported')[0], second, 'finishing the job');
  second.child.kill('SIGTERM');
  await second.exited;

  const stalled = second.logs.find((l) => String(l.msg).startsWith('job stalled'));
  assert.is(stalled?.job, JOB_ID, 'the job came back as stalled, not as a fresh one');
  const ready = second.logs.find((l) => l.msg === 'workers ready');
  process.stdout.write(`[fail-over] trainer SIGKILL: job handed to trainer-2 ${(((stalled!.time as number) - killedAt) / 1000).toFixed(2)} s after the kill (trainer-2 ready after ${(((ready!.time as number) - killedAt) / 1000).toFixed(2)} s; workers.trainerLockSeconds 10)\n`);
  assert.is(logsOf(second, 'training job started').length, 1);
  const resumed = logsOf(second, 'resuming training');
  assert.is(resumed.length, 1, 'the second trainer resumed the run instead of starting one');
  assert.is(resumed[0].resumedAtEpoch, done);
  assert.is(resumed[0].runDir, runDir, 'the run named after the job');
  assert.is(logsOf(second, 'starting training').length, 0);
  assert.equal(logsOf(second, 'epoch done').map((l) => l.epoch), Array.from({ length: EPOCHS - done }, (_, i) => done + i + 1), 'only the epochs left were trained');

  // One new version, one notice; its history carries the first trainer's epochs as checkpointed.
  assert.is(notices.length, 1, 'one models notice');
  assert.is(logsOf(second, 'training job finished: model version exported').length, 1);
  const notice = notices[0];
  assert.match(notice.version, new RegExp(`-job-${JOB_ID}$`));
  assert.is(notice.dir, join(family, notice.version));
  assert.equal(readdirSync(family).sort(), ['v0', notice.version].sort(), 'exactly one new version exported');
  const meta = JSON.parse(readFileSync(join(notice.dir, 'metadata.json'), 'utf8')) as ModelMetadata;
  assert.is(meta.training.epochs, EPOCHS);
  const history = (JSON.parse(readFileSync(join(notice.dir, 'report.json'), 'utf8')) as { history: EpochRecord[] }).history;
  assert.equal(history.map((h) => h.epoch), Array.from({ length: EPOCHS }, (_, i) => i + 1));
  assert.equal(history.slice(0, done), saved.state.history, 'epochs done before the kill are the checkpoint\'s records, not redone');
  assert.is(await bus.queue(TRAIN_QUEUE).depth(), 0, 'nothing left waiting');
});

test.run();
