import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelineConfig, loadStackConfig } from '../../config/load.ts';
import { startStack, STAGE_WORKERS } from '../../services/stack.ts';
import type { RunningWorker } from '../../services/workers/worker-context.ts';
import { WorkerMetrics } from '../../pipeline/observe/worker-metrics.ts';
import { runPipeline } from '../../pipeline/compose.ts';
import { loadHaarCascadeDetector } from '../../pipeline/detectors/haar-cascade-detector.ts';
import { TfjsEmotionClassifier } from '../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { JsonlWriter } from '../../pipeline/sinks/jsonl-writer.ts';
import { createEventValidator } from '../../pipeline/events/validate-event.ts';
import type { FrameEvent, WireEvent } from '../../pipeline/events/wire-event.ts';
import { buildDemoClip } from '../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../pipeline/sources/probe-video.ts';
import { initBackend } from '../../training/engine/backend.ts';
import { resolveModelDir, shippedModelFamily } from '../../pipeline/models/model-registry.ts';
import { STAGE_QUEUES } from '../../pipeline/runners/bus-envelope.ts';
import { WsTestClient } from '../pipeline/events/ws-test-client.ts';
import { tempDir } from '../helpers/paths.ts';

const tmp = tempDir('es-stack-');
await initBackend('wasm');
const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 5, secondsPerPhoto: 1 });
const N = (await probeVideo({ type: 'file', path: clip })).frameCount!;
const validate = createEventValidator();

test.after(() => tmp.cleanup());

function readEvents(path: string): WireEvent[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as WireEvent);
}

/** The embedded pipeline's frame events for the clip: what the stack must reproduce exactly. */
async function embeddedFrames(): Promise<FrameEvent[]> {
  const classifier = await TfjsEmotionClassifier.load(resolveModelDir(shippedModelFamily()));
  const detector = await loadHaarCascadeDetector();
  const jsonl = await JsonlWriter.open(join(tmp.dir, 'embedded.jsonl'));
  try {
    await runPipeline(loadPipelineConfig({ overrides: { source: { type: 'file', path: clip }, logLevel: 'silent' } }), { detector, classifier, sinks: [jsonl] }).done;
  } finally {
    await jsonl.close();
    classifier.dispose();
    detector.dispose?.();
  }
  return readEvents(jsonl.path).filter((e): e is FrameEvent => e.type === 'frame');
}

const strip = (e: FrameEvent) => ({ seq: e.seq, faces: e.faces.map((f) => ({ box: f.box, label: f.label, confidence: Math.round(f.confidence * 1e4) })) });

test('up on the in-memory bus: every stage as a worker gives the embedded pipeline\'s events, in order, on every sink', async () => {
  const events = join(tmp.dir, 'stack.jsonl');
  const video = join(tmp.dir, 'stack.mp4');
  const config = loadStackConfig({
    overrides: {
      source: { type: 'file', path: clip }, logLevel: 'silent', maxInFlight: 4,
      // Every frame searched whole, as the embedded run below does: the same boxes, whatever order the detector takes frames in.
      detector: { fullDetectEvery: 1 },
      output: { eventsJsonl: events, annotatedVideo: video, websocket: { port: 0 } }, metrics: { port: 0 },
    },
  });
  const stack = await startStack(config, ['sinks', 'gateway', 'classifier', 'detector'], (await import('../../pipeline/logger.ts')).silentLogger());
  const gateway = stack.workers.find((w) => w.stage === 'gateway') as unknown as { port: number };
  const { client } = await WsTestClient.connect(`ws://127.0.0.1:${gateway.port}/events`);
  try {
    const { startCapture } = await import('../../services/workers/capture.ts');
    const capture = await startCapture({ config, bus: stack.bus, metrics: stack.metrics, logger: (await import('../../pipeline/logger.ts')).silentLogger() });
    const summary = await capture.done;
    assert.is(summary.frames, N);
    assert.is(summary.lost, 0);
    assert.is(summary.videoFrames, N, 'annotated video has the input frame count');
    assert.is(summary.end?.reason, 'eof');
    await client.waitFor((m) => m.type === 'stream-end', 5000);
    for (const q of Object.values(STAGE_QUEUES)) assert.is(await stack.bus.queue(q).depth(), 0, `${q} queue drained`);
    const scrape = await (await fetch(`http://127.0.0.1:${stack.metricsPort}/metrics`)).text();
    for (const stage of ['detector', 'classifier', 'tracker', 'annotator', 'sinks']) {
      assert.match(scrape, new RegExp(`emotion_stream_frames_out_total\\{[^}]*stage="${stage}"[^}]*\\} ${N}\\b`), `/metrics counts ${N} frames out of ${stage}`);
    }
    assert.match(scrape, /emotion_stream_stage_latency_seconds_bucket\{[^}]*stage="classifier"/);
    assert.match(scrape, /emotion_stream_queue_depth\{[^}]*queue="detect"[^}]*\} 0/);
  } finally {
    await client.close();
    await stack.stop();
  }
  const written = readEvents(events);
  written.forEach((e, i) => assert.ok(validate(e).valid, `event ${i} valid`));
  assert.is(written[0].type, 'stream-start');
  assert.is(written[written.length - 1].type, 'stream-end');
  const frames = written.filter((e): e is FrameEvent => e.type === 'frame');
  assert.equal(frames.map((e) => e.seq), Array.from({ length: N }, (_, i) => i), 'each frame exactly once, in order');
  assert.ok(frames.some((e) => e.faces.length > 0), 'faces found');
  assert.equal(frames.map(strip), (await embeddedFrames()).map(strip), 'same faces, labels and confidences as the embedded pipeline');
  const streamed = client.received.filter((m) => m.type === 'frame') as unknown as FrameEvent[];
  assert.equal(streamed.map((e) => e.seq), frames.map((e) => e.seq), 'the gateway streamed every frame event in order');
});

test('live over the bus: frames the stages cannot keep up with are dropped at capture, announced, and never waited for', async () => {
  const events = join(tmp.dir, 'live.jsonl');
  const config = loadStackConfig({
    overrides: { source: { type: 'file', path: clip }, mode: 'live', maxInFlight: 1, logLevel: 'silent', output: { eventsJsonl: events }, bus: { gapTimeoutSeconds: 600 } },
  });
  const logger = (await import('../../pipeline/logger.ts')).silentLogger();
  // Detection starts only once capture has dropped every frame it must: frame 0 holds the one
  // credit with no detector to finish it, so capture keeps only the newest of the rest (N - 1) and
  // drops frames 1..N-2. The stages are slower than the source by construction, not by the
  // machine's speed, so the counts are exact.
  const stack = await startStack(config, ['sinks', 'classifier'], logger);
  let drops = 0;
  let allDropped!: () => void;
  const droppedAll = new Promise<void>((resolve) => { allDropped = resolve; });
  class CountingMetrics extends WorkerMetrics {
    override dropped(camera: string, n = 1): void {
      super.dropped(camera, n);
      drops += n;
      if (drops >= N - 2) allDropped();
    }
  }
  const captureMetrics = new CountingMetrics({ service: 'capture', defaultMetrics: false, logger });
  let detector: RunningWorker | undefined;
  let processed = 0;
  try {
    const { startCapture } = await import('../../services/workers/capture.ts');
    const capture = await startCapture({ config, bus: stack.bus, metrics: captureMetrics, logger });
    await Promise.race([droppedAll, capture.done]); // a capture that fails ends the wait too
    detector = await STAGE_WORKERS.detector({ config, bus: stack.bus, metrics: stack.metrics, logger });
    const summary = await capture.done;
    processed = summary.frames;
    assert.equal([summary.frames, summary.dropped], [2, N - 2], 'the first frame and the newest are processed, the rest dropped');
    assert.is(summary.lost, 0, 'no gap was waited out: drop notices filled them');
    const scrape = await captureMetrics.render();
    assert.match(scrape, new RegExp(`emotion_stream_frames_dropped_total\\{[^}]*camera="cam0"[^}]*\\} ${N - 2}\\b`));
  } finally {
    await detector?.stop();
    await stack.stop();
  }
  const frames = readEvents(events).filter((e): e is FrameEvent => e.type === 'frame');
  assert.is(frames.length, processed, 'one event per processed frame');
  assert.equal(frames.map((e) => e.seq), [0, N - 1], 'in order, and the newest frame is kept');
  assert.is(readEvents(events).at(-1)!.type, 'stream-end');
});

test.run();
