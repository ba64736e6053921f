import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import { STAGE_QUEUES, TOPICS, jobId, type BusEnvelope } from '../../../pipeline/runners/bus-envelope.ts';
import type { ClassificationsMsg, DetectionsMsg } from '../../../pipeline/messages.ts';
import { WorkerMetrics } from '../../../pipeline/observe/worker-metrics.ts';
import { silentLogger } from '../../../pipeline/logger.ts';
import { loadStackConfig } from '../../../config/load.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import type { ModelNotice, TrainJob } from '../../../training/train-job.ts';
import { loadCheckpoint } from '../../../training/checkpoint.ts';
import { startTrainer, TRAIN_QUEUE } from '../../../services/workers/trainer.ts';
import { startFrameStageWorker } from '../../../services/workers/frame-stage-worker.ts';
import { frameStageOfWorker } from '../../../pipeline/stage-registry.ts';
import { writeTrainTestFolders } from '../../helpers/emotion-fixtures.ts';
import { sample3WithFaces } from '../../helpers/sample-faces.ts';
import { tempDir } from '../../helpers/paths.ts';
import { captureLogs } from '../../pipeline/bus/bus-contract.ts';

const tmp = tempDir('es-trainer-');
const cwd = process.cwd();
// Training worker threads resolve tsx from the working directory (see test/training/train.test.ts).
symlinkSync(resolve('node_modules'), join(tmp.dir, 'node_modules'));
process.chdir(tmp.dir);
process.env.EMOTION_STREAM_RUNS_DIR = join(tmp.dir, 'runs');
const family = join(tmp.dir, 'models', 'emotion');
const shipped = resolveModelDir(shippedModelFamily());
cpSync(shipped, join(family, 'v0'), { recursive: true });
const data = writeTrainTestFolders(join(tmp.dir, 'fer'), { trainPerClass: 8, testPerClass: 4 });
const config = loadStackConfig({ overrides: { classifier: { modelDir: family, backend: 'wasm' }, logLevel: 'silent' } });
const bus = new InMemoryBus();
const ctx = { config, bus, logger: silentLogger(), metrics: new WorkerMetrics({ service: 'test', defaultMetrics: false }) };

test.after(async () => {
  await bus.close();
  process.chdir(cwd);
  tmp.cleanup();
});

/** One detections message for sample3's three faces through the classify queue; the classifications that come out. */
async function classifyOnce(seq: number): Promise<ClassificationsMsg> {
  const { photo, faces } = sample3WithFaces();
  const frameKey = `t/${seq}`;
  await bus.frames.put(frameKey, photo.pixels, 60_000);
  const msg: DetectionsMsg = {
    kind: 'detections', v: 1, faces: faces.map((boxPx) => ({ boxPx })), timings: {},
    meta: { cameraId: 't', seq, ptsMs: 0, capturedAt: Date.now(), width: photo.width, height: photo.height, frameKey },
  };
  const out = new Promise<ClassificationsMsg>((resolveOut) => {
    const consumer = bus.queue<BusEnvelope>(STAGE_QUEUES.sink).consume(async (job) => {
      resolveOut(job.data.msg as ClassificationsMsg);
      void consumer.close(true);
    }, { concurrency: 1 });
  });
  const env: BusEnvelope = { v: 1, streamId: 't', annotate: false, msg };
  await bus.queue<BusEnvelope>(STAGE_QUEUES.classify).add(jobId(env, STAGE_QUEUES.classify), env);
  return out;
}

test('a queued retraining job becomes a new promoted model version, and the running classifier switches to it', async () => {
  const classifier = await startFrameStageWorker(frameStageOfWorker('classifier')!, ctx);
  const trainer = await startTrainer(ctx);
  try {
    const before = await classifyOnce(0);
    const shippedVersion = (JSON.parse(readFileSync(join(shipped, 'metadata.json'), 'utf8')) as { version: string }).version;
    assert.is(before.modelVersion, `emotion@${shippedVersion}`, 'the classifier starts on the family\'s only version');
    const notice = new Promise<ModelNotice>((res) => { void bus.topic<ModelNotice>(TOPICS.models).subscribe(res); });
    const job: TrainJob = { data: data.train, arch: 'vgg-lite', epochs: 1, batchSize: 16, limit: 42, workers: 1, promote: true };
    await bus.queue<TrainJob>(TRAIN_QUEUE).add('retrain-1', job);
    const n = await notice;
    assert.ok(n.promoted);
    assert.match(n.version, /-job-retrain-1$/);
    assert.is(readFileSync(join(family, 'PROMOTED'), 'utf8').trim(), n.version);
    for (const f of ['model.json', 'weights.bin', 'metadata.json', 'report.html']) assert.ok(existsSync(join(n.dir, f)), f);
    // The run is named after the job and checkpointed, so a redelivered job resumes it (trainer-redelivery.test.ts).
    const ckpt = await loadCheckpoint(join(tmp.dir, 'runs', 'retrain-1'));
    assert.ok(ckpt, 'runs/retrain-1 holds a checkpoint');
    assert.is(ckpt.state.epochsDone, job.epochs);
    assert.is(ckpt.state.history.length, job.epochs);
    // The swap happens when the notice arrives; the next frame is classified by the new version.
    let after = await classifyOnce(1);
    for (let i = 2; after.modelVersion === before.modelVersion && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await classifyOnce(i);
    }
    assert.is(after.modelVersion, `emotion@${n.version}`);
    assert.is(after.faces.length, 3);
  } finally {
    await trainer.stop();
    await classifier.stop();
  }
});

test('a malformed job is refused at once as poison (no retry), naming what is wrong', async () => {
  const logs = captureLogs();
  const own = new InMemoryBus({ logger: logs.logger });
  const trainer = await startTrainer({ ...ctx, bus: own });
  try {
    await own.queue<unknown>(TRAIN_QUEUE).add('bad-1', { data: 42, epochs: 'many' });
    const deadline = Date.now() + 5000;
    while (!logs.lines.some((l) => l.level === 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const failure = logs.lines.find((l) => l.level === 50);
    assert.ok(failure, 'the failure is logged at error level');
    assert.is(failure!.msg, 'poison message: job failed without retry');
    assert.match(JSON.stringify(failure), 'invalid training job: data');
  } finally {
    await trainer.stop();
    await own.close();
  }
});

test.run();
