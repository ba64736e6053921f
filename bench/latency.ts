/**
 * bench:latency — a 640x480 30 fps RTSP stream with faces (the demo clip from package-shipped
 * photos, looped by ffmpeg into Debian's rtsp-server-perl) through the stack as a live camera run
 * by the gateway: capture -> detect -> classify -> sinks -> events topic. Measures, after a
 * warm-up, capture-to-event latency of every frame event (p50/p95/p99) and the sustained
 * processed frame rate against the camera's input rate measured in the same run; on the embedded
 * (in-memory) bus, then on Redis. Last line: one JSON object.
 *   npm run bench:latency [-- --seconds 30 --redis redis://127.0.0.1:6379 --max-in-flight 2
 *                              --detect-downscale 320 --full-detect-every 10 --transport memory|redis|both --no-baseline]
 * The baseline, measured in the same run on the embedded bus, searches every frame whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStackConfig } from '../config/load.ts';
import { detectorSchema } from '../config/schema.ts';
import { startStack } from '../services/stack.ts';
import type { GatewayWorker } from '../services/workers/gateway.ts';
import { TOPICS } from '../pipeline/runners/bus-envelope.ts';
import type { WireEvent } from '../pipeline/events/wire-event.ts';
import { createLogger } from '../pipeline/logger.ts';
import { buildDemoClip } from '../pipeline/sources/demo-clip.ts';
import { runProcess } from '../pipeline/sources/run-process.ts';
import { latency } from '../pipeline/run-stats.ts';
import { TestRtspServer } from '../test/helpers/rtsp-server.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, redis: { type: 'string' }, 'max-in-flight': { type: 'string' }, 'detect-downscale': { type: 'string' }, 'full-detect-every': { type: 'string' }, transport: { type: 'string' }, 'no-baseline': { type: 'boolean' } } });
const transports = values.transport ?? 'both'; // memory | redis | both
// Haar detection dominates latency; detecting on a copy whose longer side is this many pixels cuts it.
const downscaleTo = values['detect-downscale'] ? Number(values['detect-downscale']) : undefined;
// Detect-then-track for live cameras: whole-frame search on every Nth frame, in the background (1 = every frame).
const fullDetectEvery = values['full-detect-every'] ? Number(values['full-detect-every']) : undefined;
const seconds = Number(values.seconds ?? 30);
const maxInFlight = Number(values['max-in-flight'] ?? 2);
const redisUrl = values.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WARMUP_MS = 5000;
const liveFullDetectEvery = fullDetectEvery ?? detectorSchema.parse({}).liveFullDetectEvery;
// Baseline, same run: the same camera with the whole frame searched on every frame (the notebook's way).
const withBaseline = values['no-baseline'] !== true && liveFullDetectEvery > 1;

const workDir = mkdtempSync(join(tmpdir(), 'es-bench-latency-'));
const logger = createLogger({ name: 'bench', level: 'warn' });
const round = (x: number) => Math.round(x * 100) / 100;

/** The demo clip at 640x480 30 fps, re-encoded with a keyframe every second so a player joins fast. */
async function rtspClip(): Promise<string> {
  const demo = await buildDemoClip({ outPath: join(workDir, 'demo.mp4'), width: 640, height: 480, fps: 30, secondsPerPhoto: 2 });
  const out = join(workDir, 'clip.mp4');
  const r = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', demo, '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p', out]);
  if (r.code !== 0) throw new Error(`cannot encode the bench clip: ${r.stderr.trim()}`);
  return out;
}

/** One transport: the gateway runs the RTSP camera; frame events are timed as they reach the events topic. */
async function measure(transport: 'memory' | 'redis', url: string, fullEvery = liveFullDetectEvery) {
  const config = loadStackConfig({
    overrides: {
      logLevel: 'warn', maxInFlight, detector: { downscaleTo, liveFullDetectEvery: fullEvery }, output: { websocket: { port: 0 } },
      bus: { transport, redisUrl: transport === 'redis' ? redisUrl : undefined, prefix: `es-bench-lat-${process.pid}` },
      cameras: [{ id: 'rtsp-cam', source: { type: 'rtsp', url, transport: 'udp' } }],
    },
  });
  const stack = await startStack(config, ['sinks', 'classifier', 'detector', 'gateway'], logger);
  const gateway = stack.workers.find((w) => w.stage === 'gateway') as GatewayWorker;
  const samples: number[] = [];
  let faces = 0;
  let from = 0;
  const unsubscribe = await stack.bus.topic<WireEvent>(TOPICS.events).subscribe((e) => {
    if (e.type === 'frame' && from && Date.now() >= from) {
      samples.push(Date.now() - e.capturedAt);
      faces += e.faces.length;
    }
  });
  try {
    const deadline = Date.now() + 60_000;
    while (gateway.cameras.get('rtsp-cam')?.state !== 'live') {
      if (Date.now() > deadline) throw new Error(`camera never went live: ${JSON.stringify(gateway.cameras.get('rtsp-cam'))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    from = Date.now() + WARMUP_MS;
    await new Promise((r) => setTimeout(r, WARMUP_MS + seconds * 1000));
    const status = gateway.cameras.get('rtsp-cam')!;
    const l = latency(samples);
    const sorted = [...samples].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
    return { frames: samples.length, processedFps: round(samples.length / seconds), facesPerFrame: round(faces / Math.max(1, samples.length)), inputFps: status.inputFps, dropped: status.dropped, p50: l.p50, p95: l.p95, p99 };
  } finally {
    await unsubscribe();
    await stack.stop();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;
const line = (name: string, m: Measured) => `${name.padEnd(9)} p50 ${m.p50} ms, p95 ${m.p95} ms, p99 ${m.p99} ms; ${m.processedFps} of ${m.inputFps} frames/s processed (${m.dropped} dropped), ${m.facesPerFrame} faces/frame\n`;

const server = await TestRtspServer.start();
try {
  const clip = await rtspClip();
  await server.publish(clip);
  process.stderr.write(`RTSP ${server.playUrl()} (UDP): 640x480, 30 fps, faces; ${seconds} s measured after ${WARMUP_MS / 1000} s warm-up; maxInFlight ${maxInFlight}; detection on ${downscaleTo ? `a ${downscaleTo}-pixel copy` : 'full frames'}\n`);
  process.stderr.write(`whole-frame search ${liveFullDetectEvery > 1 ? `every ${liveFullDetectEvery} frames in the background, known faces tracked in between` : 'on every frame'}\n`);
  const embedded = transports !== 'redis' ? await measure('memory', server.playUrl()) : null;
  if (embedded) process.stderr.write(line('embedded:', embedded));
  const redis = transports !== 'memory' ? await measure('redis', server.playUrl()) : null;
  if (redis) process.stderr.write(line('redis:', redis));
  const baseline = withBaseline ? await measure('memory', server.playUrl(), 1) : null;
  if (baseline) process.stderr.write(line('baseline (embedded, whole frame every frame):', baseline));
  process.stdout.write(`${JSON.stringify({
    bench: 'latency', source: 'rtsp 640x480 30fps (demo clip, faces)', seconds, maxInFlight, detectDownscale: downscaleTo ?? null, liveFullDetectEvery,
    embedded, redis, embedded_processed_vs_input: embedded && round(embedded.processedFps / Math.max(embedded.inputFps, 1e-9)),
    redis_vs_embedded_p99: embedded && redis && round(redis.p99 / Math.max(embedded.p99, 1e-9)), target_p99_ms: 100,
    embedded_meets_target: embedded && embedded.p99 < 100 && embedded.processedFps >= 0.95 * embedded.inputFps,
    baseline_every_frame: baseline, embedded_vs_baseline_p99: embedded && baseline && round(embedded.p99 / Math.max(baseline.p99, 1e-9)),
  })}\n`);
} finally {
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
}
