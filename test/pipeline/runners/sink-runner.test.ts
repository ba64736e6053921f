import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InMemoryBus } from '../../../pipeline/bus/in-memory-bus.ts';
import { SinkRunner } from '../../../pipeline/runners/sink-runner.ts';
import { STAGE_QUEUES, jobId, sharedFrameKey, type BusEnvelope } from '../../../pipeline/runners/bus-envelope.ts';
import { trackEmotions } from '../../../pipeline/stages/track-emotions.ts';
import { storeFrame } from '../../../pipeline/runners/bus-frames.ts';
import { map } from 'rxjs';
import { trackingSchema } from '../../../config/schema.ts';
import type { EventSink } from '../../../pipeline/events/event-sink.ts';
import type { WireEvent } from '../../../pipeline/events/wire-event.ts';
import type { ClassificationsMsg, EmotionScores, PipelineMsg } from '../../../pipeline/messages.ts';

const STREAM = 'cam-1';
const SCORES: EmotionScores = { angry: 0.05, disgust: 0.05, fear: 0.05, happy: 0.6, neutral: 0.15, sad: 0.05, surprise: 0.05 };

function frame(seq: number): ClassificationsMsg {
  return {
    kind: 'classifications', v: 1, modelVersion: 'm@1', timings: {},
    meta: { cameraId: 'cam', seq, ptsMs: seq * 40, capturedAt: Date.now(), width: 320, height: 240, frameKey: sharedFrameKey(STREAM, seq) },
    faces: [{ boxPx: { x: 100 + seq, y: 60, width: 80, height: 80 }, label: 'happy', confidence: 0.6, scores: SCORES }],
  };
}

async function send(bus: InMemoryBus, msg: PipelineMsg, extra: Partial<BusEnvelope> = {}): Promise<void> {
  const env: BusEnvelope = { v: 1, streamId: STREAM, annotate: false, msg, ...extra };
  await bus.queue<BusEnvelope>(STAGE_QUEUES.sink).add(jobId(env, STAGE_QUEUES.sink), env);
}

/** A sinks runner with the tracker as its ordered stage, collecting what reaches the sinks. */
function runner(bus: InMemoryBus, out: WireEvent[]): SinkRunner {
  const sink: EventSink = { name: 'collect', handle: (e) => { out.push(e); } };
  return new SinkRunner({
    bus, sinks: [sink], reorderWindow: 16, gapTimeoutMs: 60_000,
    stages: ({ trackIds }) => trackEmotions({ config: trackingSchema.parse({}), trackIds }),
  }).start();
}

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setImmediate(poll));
    poll();
  });
}

const frameEvents = (events: WireEvent[]) => events.filter((e): e is Extract<WireEvent, { type: 'frame' }> => e.type === 'frame');

test('frames arriving out of order are tracked in stream order; a restarted sinks runner never gives a track id twice', async () => {
  const bus = new InMemoryBus();
  const before: WireEvent[] = [];
  const after: WireEvent[] = [];
  try {
    const first = runner(bus, before);
    await send(bus, { kind: 'stream-start', v: 1, cameraId: 'cam', source: 'x', width: 320, height: 240, fps: 25, startedAt: 0 });
    for (const seq of [3, 1, 0, 2, 4]) await send(bus, frame(seq));
    await until(() => frameEvents(before).length === 5);
    await first.stop(true);
    const second = runner(bus, after);
    for (const seq of [6, 5, 7]) await send(bus, frame(seq));
    await send(bus, { kind: 'stream-end', v: 1, cameraId: 'cam', frames: 8, reason: 'eof', endedAt: 1 }, { endPosition: 8 });
    await until(() => after.some((e) => e.type === 'stream-end'));
    await second.stop();
    const seqs = [...frameEvents(before), ...frameEvents(after)].map((e) => e.seq);
    assert.equal(seqs, [0, 1, 2, 3, 4, 5, 6, 7], 'every frame once, in order');
    const idsBefore = new Set(frameEvents(before).flatMap((e) => e.faces.map((f) => f.trackId)));
    const idsAfter = new Set(frameEvents(after).flatMap((e) => e.faces.map((f) => f.trackId)));
    assert.is(idsBefore.size, 1, 'one person, one track, through frames that came out of order');
    assert.is(idsAfter.size, 1);
    assert.ok([...idsAfter].every((id) => !idsBefore.has(id)), `a new id after the restart: ${[...idsBefore]} then ${[...idsAfter]}`);
    assert.ok(after.some((e) => e.type === 'track-end'), 'the open track ends with the stream');
  } finally {
    await bus.close();
  }
});

test('a restarted sinks runner carries on the stream\'s summary: the stream it did not see start, every frame counted once, the integrity of its end', async () => {
  const bus = new InMemoryBus();
  const before: WireEvent[] = [];
  const after: WireEvent[] = [];
  try {
    const first = runner(bus, before);
    await send(bus, { kind: 'stream-start', v: 1, cameraId: 'cam', source: 'clip.mp4', width: 320, height: 240, fps: 25, startedAt: 0 });
    for (const seq of [0, 1, 2]) await send(bus, frame(seq));
    await until(() => frameEvents(before).length === 3);
    await first.stop(true);
    const second = runner(bus, after);
    // A redone job of a frame the first runner finished is acknowledged without a second count.
    for (const seq of [2, 3, 4]) await send(bus, frame(seq));
    const integrity = { decodeErrors: 7, ptsGaps: 1, framesMissing: 3 };
    await send(bus, { kind: 'stream-end', v: 1, cameraId: 'cam', frames: 5, reason: 'eof', endedAt: 1, integrity }, { endPosition: 5 });
    await until(() => after.some((e) => e.type === 'stream-end'));
    await second.stop();
    const summary = JSON.parse((await bus.counters.getValue(`stream:${STREAM}:closed`))!) as Record<string, unknown>;
    assert.equal(
      [summary.cameraId, summary.source, summary.width, summary.height, summary.sourceFps, summary.frames, summary.faces, summary.framesWithFaces, summary.lost],
      ['cam', 'clip.mp4', 320, 240, 25, 5, 5, 5, 0],
    );
    assert.equal(summary.labels, { happy: 5 });
    assert.equal(summary.integrity, integrity);
    assert.equal(summary.end, { reason: 'eof' });
    assert.is(summary.events, 7, 'messages through the sinks: stream-start, 5 frames, stream-end, each once');
  } finally {
    await bus.close();
  }
});

test('fetchAllFrames: ordered stages get the pixels of streams that want no video (re-identification reads them); without it they do not', async () => {
  for (const fetchAllFrames of [true, false]) {
    const bus = new InMemoryBus();
    const out: WireEvent[] = [];
    const seen: Array<number | 'missing'> = [];
    try {
      const sink: EventSink = { name: 'collect', handle: (e) => { out.push(e); } };
      const run = new SinkRunner({
        bus, sinks: [sink], reorderWindow: 16, gapTimeoutMs: 60_000, fetchAllFrames,
        // What a pixel-reading stage sees of each frame: its first byte, or that it is missing.
        stages: ({ frameStore }) => map((msg) => {
          if (msg.kind === 'classifications') seen.push(frameStore.has(msg.meta.frameKey) ? frameStore.get(msg.meta.frameKey)[0] : 'missing');
          return msg;
        }),
      }).start();
      await send(bus, { kind: 'stream-start', v: 1, cameraId: 'cam', source: 'x', width: 320, height: 240, fps: 25, startedAt: 0 });
      for (const seq of [0, 1]) {
        await storeFrame(bus, sharedFrameKey(STREAM, seq), { width: 320, height: 240, pixels: Buffer.alloc(320 * 240 * 3, 10 + seq) }, { encoding: { format: 'raw' }, ttlMs: 60_000 });
        await send(bus, frame(seq));
      }
      await until(() => frameEvents(out).length === 2);
      await run.stop();
      assert.equal(seen, fetchAllFrames ? [10, 11] : ['missing', 'missing'], `fetchAllFrames ${fetchAllFrames}`);
    } finally {
      await bus.close();
    }
  }
});

test.run();
