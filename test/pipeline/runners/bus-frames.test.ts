import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisBus } from '../../../pipeline/bus/redis-bus.ts';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import type { Bus, BusJob } from '../../../pipeline/bus/transport.ts';
import { fetchFrame, storeFrame } from '../../../pipeline/runners/bus-frames.ts';
import { QueueStageRunner } from '../../../pipeline/runners/queue-stage-runner.ts';
import { STAGE_QUEUES, type BusEnvelope } from '../../../pipeline/runners/bus-envelope.ts';
import { DecodingFrameStore } from '../../../pipeline/frames/decoding-frame-store.ts';
import { detectFaces } from '../../../pipeline/stages/detect-faces.ts';
import { loadFaceDetector } from '../../../pipeline/detectors/load-face-detector.ts';
import { loadPipelineConfig } from '../../../config/load.ts';
import type { DetectionsMsg, FrameMsg } from '../../../pipeline/messages.ts';
import { TestRedisServer } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';
import { meanAbsError, photoFrame } from '../../helpers/photo-frame.ts';

const tmp = tempDir('es-bus-frames-');
const redis = await TestRedisServer.start(tmp.dir);
test.after(async () => {
  await redis.kill();
  tmp.cleanup();
});

const frame = photoFrame(1);
const TTL_MS = 60_000;

async function withRedisBus(prefix: string, body: (bus: Bus) => Promise<void>): Promise<void> {
  const bus = await RedisBus.connect({ url: redis.url, prefix });
  try {
    await body(bus);
  } finally {
    await bus.close();
  }
}

test('raw through Redis: every byte back exactly', () => withRedisBus('bf-raw', async (bus) => {
  const stored = await storeFrame(bus, 's/0', frame, { encoding: { format: 'raw' }, ttlMs: TTL_MS });
  assert.is(stored, 640 * 480 * 3 + 20);
  const local = new DecodingFrameStore();
  assert.ok(await fetchFrame(bus, 's/0', local));
  assert.ok(local.get('s/0').equals(frame.pixels));
}));

test('jpeg through Redis: a tenth of the bytes or less, pixels within a small mean error', () => withRedisBus('bf-jpeg', async (bus) => {
  const stored = await storeFrame(bus, 's/0', frame, { encoding: { format: 'jpeg', quality: 90 }, ttlMs: TTL_MS });
  assert.ok(stored < frame.pixels.length / 10, `${stored} bytes stored`);
  assert.is((await bus.frames.get('s/0'))?.length, stored);
  const local = new DecodingFrameStore();
  assert.ok(await fetchFrame(bus, 's/0', local));
  const mae = meanAbsError(local.get('s/0'), frame.pixels);
  assert.ok(mae < 3, `mean absolute error ${mae}`);
  assert.is(local.decoded, 1);
}));

test('a frame gone from Redis (expired, deleted) is reported as missing, not fetched', () => withRedisBus('bf-gone', async (bus) => {
  const local = new DecodingFrameStore();
  assert.is(await fetchFrame(bus, 's/9', local), false);
  assert.not.ok(local.has('s/9'));
}));

test('the in-memory bus hands pixels over by reference, unencoded', async () => {
  const bus = new InMemoryBus();
  try {
    const stored = await storeFrame(bus, 's/0', frame, { encoding: { format: 'jpeg', quality: 90 }, ttlMs: TTL_MS });
    assert.is(stored, frame.pixels.length);
    const local = new DecodingFrameStore();
    await fetchFrame(bus, 's/0', local);
    assert.is(local.get('s/0'), frame.pixels);
    assert.is(local.decoded, 0);
  } finally {
    await bus.close();
  }
});

function frameEnvelope(streamId: string, seq: number): BusEnvelope {
  const meta = { cameraId: 'cam0', seq, ptsMs: seq * 40, capturedAt: Date.now(), width: 640, height: 480, frameKey: `${streamId}/${seq}` };
  const msg: FrameMsg = { kind: 'frame', v: 1, meta, timings: {} };
  return { v: 1, streamId, annotate: false, msg };
}

test('a detector worker over Redis: a JPEG frame is detected, a corrupt stored frame gets ERR_FRAME_CORRUPT naming its key', () => withRedisBus('bf-worker', async (bus) => {
  const config = loadPipelineConfig({ overrides: { source: { type: 'file', path: '/not/read.mp4' } } });
  const detector = await loadFaceDetector({ ...config.detector, fullDetectEvery: 1 });
  const runner = new QueueStageRunner({
    bus, from: STAGE_QUEUES.detect, concurrency: 2, route: () => STAGE_QUEUES.classify,
    operator: (frameStore) => detectFaces({ detector, frameStore, concurrency: 2 }),
  }).start();
  const out = new Map<number, DetectionsMsg>();
  let arrived: () => void = () => undefined;
  const both = new Promise<void>((resolve) => { arrived = resolve; });
  const consumer = bus.queue<BusEnvelope>(STAGE_QUEUES.classify).consume(async (job: BusJob<BusEnvelope>) => {
    const msg = job.data.msg as DetectionsMsg;
    out.set(msg.meta.seq, msg);
    if (out.size === 2) arrived();
  }, { concurrency: 2 });
  try {
    await storeFrame(bus, 'st/0', frame, { encoding: { format: 'jpeg', quality: 90 }, ttlMs: TTL_MS });
    await bus.frames.put('st/1', Buffer.from('ESF1 but then nothing that decodes'), TTL_MS);
    await bus.queue<BusEnvelope>(STAGE_QUEUES.detect).add('st/0/detect', frameEnvelope('st', 0));
    await bus.queue<BusEnvelope>(STAGE_QUEUES.detect).add('st/1/detect', frameEnvelope('st', 1));
    await both;
    const good = out.get(0)!;
    assert.is(good.fault, undefined);
    assert.ok(good.faces.length > 0, 'faces found on the JPEG-encoded photo');
    const bad = out.get(1)!;
    assert.is(bad.fault?.code, 'ERR_FRAME_CORRUPT');
    assert.ok(bad.fault?.message.includes('frame st/1'), bad.fault?.message);
    assert.equal(bad.faces, []);
  } finally {
    await runner.stop();
    await consumer.close();
    detector.dispose?.();
  }
}));

test.run();
