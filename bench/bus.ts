/**
 * bench:bus — the 640x480 clip with faces (see bench-clip.ts) replayed, every frame detected and
 * classified: on the embedded pipeline (one process, RxJS), then on Redis with worker processes:
 * 1 detector + 1 classifier with frames stored raw (bus.frameEncoding raw, the old way) and as
 * JPEG (the default, bus.jpegQuality), then 2 of each with JPEG (plus one sinks worker). Also the
 * bytes stored per frame either way (the clip's first 60 frames through the bus's frame codec) and
 * the cost of moving one frame through Redis (SET with TTL + GET + DEL) at each size. Prints
 * frames/s and the ratios (Redis vs embedded, 2 vs 1); embedded runs first and again last, and the
 * ratios use the mean of the two (on a shared machine the load moves). Last line one JSON object.
 *   npm run bench:bus [-- --clip file.mp4 --redis redis://127.0.0.1:6379]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../pipeline/compose.ts';
import { connectBus } from '../pipeline/bus/connect-bus.ts';
import { busSchema } from '../config/schema.ts';
import { encodeFrame, frameEncodingOf } from '../pipeline/frames/frame-codec.ts';
import { benchSetup } from './bench-clip.ts';
import { firstFrames } from './clip-frames.ts';

const { values } = parseArgs({ options: { clip: { type: 'string' }, seconds: { type: 'string' }, redis: { type: 'string' } } });
const redisUrl = values.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cli = fileURLToPath(new URL('../bin/emotion-stream.js', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'es-bench-bus-'));
const round = (x: number) => Math.round(x * 100) / 100;

function startWorker(stages: string[], prefix: string, extra: string[] = []): { child: ChildProcess; ready: Promise<void>; out: Promise<string> } {
  const child = spawn(process.execPath, [cli, 'worker', ...stages, '--redis', redisUrl, '--prefix', prefix, '--log-level', 'info', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.includes('"workers ready"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${stages.join('+')} exited ${code}: ${stderr.slice(-800)}`)));
  });
  const out = new Promise<string>((resolve) => child.once('exit', () => resolve(stdout)));
  return { child, ready, out };
}

type Encoding = 'raw' | 'jpeg';
const busDefaults = busSchema.parse({});

/** One Redis configuration: workers up, then a capture worker replays the clip; fps from the sinks' summary. */
async function redisRun(clip: string, copies: number, encoding: Encoding): Promise<{ frames: number; fps: number; wallSeconds: number }> {
  const prefix = `es-bench-${process.pid}-${copies}-${encoding}`;
  // Only capture's setting matters (readers follow each stored frame's header); all get the file, as a deployment would.
  const configFile = join(workDir, `bus-${encoding}.yaml`);
  writeFileSync(configFile, `bus:\n  frameEncoding: ${encoding}\n`);
  const withConfig = ['--config', configFile];
  const workers = [startWorker(['sinks'], prefix, withConfig)];
  for (let i = 0; i < copies; i++) workers.push(startWorker(['detector'], prefix, withConfig), startWorker(['classifier'], prefix, withConfig));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const capture = startWorker(['capture'], prefix, ['--file', clip, ...withConfig]);
    const summary = JSON.parse((await capture.out).trim().split('\n').pop()!) as { frames: number; fps: number; wallSeconds: number };
    return summary;
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.out));
  }
}

/** Pixels cross the bus once per frame: SET (with TTL) by capture, GET per stage that reads them, DEL at the end. */
async function frameTransferMs(bytes: number): Promise<{ setMs: number; getMs: number; delMs: number }> {
  const bus = await connectBus({ transport: 'redis', redisUrl, prefix: `es-bench-${process.pid}-frames` });
  const pixels = Buffer.alloc(bytes, 7);
  const n = 100;
  const t = { set: 0, get: 0, del: 0 };
  try {
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      await bus.frames.put(`f${i}`, pixels, 60_000);
      t.set += performance.now() - t0;
      t0 = performance.now();
      await bus.frames.get(`f${i}`);
      t.get += performance.now() - t0;
      t0 = performance.now();
      await bus.frames.delete(`f${i}`);
      t.del += performance.now() - t0;
    }
  } finally {
    await bus.close();
  }
  return { setMs: round(t.set / n), getMs: round(t.get / n), delMs: round(t.del / n) };
}

/** Bytes the bus stores per frame, raw and JPEG (at the default quality), over the clip's first frames. */
async function bytesPerFrame(clip: string, width: number, height: number): Promise<{ raw: number; jpeg: number; frames: number }> {
  const frames = await firstFrames(clip, 60, { width, height });
  const mean = (encoding: Encoding) => Math.round(frames.reduce((n, f) => n + encodeFrame(f, frameEncodingOf({ ...busDefaults, frameEncoding: encoding })).length, 0) / frames.length);
  return { raw: mean('raw'), jpeg: mean('jpeg'), frames: frames.length };
}

try {
  const { clip, backend, classifier, config, detector } = await benchSetup({ workDir, clip: values.clip, seconds: values.seconds });
  process.stderr.write(`clip: ${clip.name}; model ${classifier.version} on ${backend}; redis ${redisUrl.replace(/:[^:@/]*@/, ':***@')}\n`);
  const embeddedBefore = await runPipeline(config, { detector, classifier, sinks: [] }).done;
  process.stderr.write(`embedded (in-process RxJS): ${embeddedBefore.frames} frames, ${embeddedBefore.fps} frames/s\n`);
  const bytes = await bytesPerFrame(clip.path, embeddedBefore.width, embeddedBefore.height);
  process.stderr.write(`bytes stored per frame: raw ${bytes.raw}, JPEG q${busDefaults.jpegQuality} ${bytes.jpeg} (first ${bytes.frames} frames of the clip)\n`);
  const oneRaw = await redisRun(clip.path, 1, 'raw');
  process.stderr.write(`redis, 1 detector + 1 classifier, raw frames: ${oneRaw.frames} frames, ${oneRaw.fps} frames/s (${round(oneRaw.fps / embeddedBefore.fps)}x the first embedded run)\n`);
  const one = await redisRun(clip.path, 1, 'jpeg');
  process.stderr.write(`redis, 1 detector + 1 classifier, JPEG frames: ${one.frames} frames, ${one.fps} frames/s (${round(one.fps / embeddedBefore.fps)}x the first embedded run)\n`);
  const two = await redisRun(clip.path, 2, 'jpeg');
  process.stderr.write(`redis, 2 detectors + 2 classifiers, JPEG frames: ${two.frames} frames, ${two.fps} frames/s\n`);
  // Embedded once more after the Redis runs: on a shared machine the load moves, and the ratios use the mean of both.
  const embeddedAfter = await runPipeline(config, { detector, classifier, sinks: [] }).done;
  detector.dispose?.();
  classifier.dispose();
  const embedded = { ...embeddedBefore, fps: round((embeddedBefore.fps + embeddedAfter.fps) / 2) };
  process.stderr.write(`embedded again: ${embeddedAfter.frames} frames, ${embeddedAfter.fps} frames/s; mean ${embedded.fps} frames/s; Redis 1+1 JPEG ${round(one.fps / embedded.fps)}x, raw ${round(oneRaw.fps / embedded.fps)}x of it\n`);
  const transferRaw = await frameTransferMs(bytes.raw);
  const transferJpeg = await frameTransferMs(bytes.jpeg);
  process.stderr.write(`one ${embedded.width}x${embedded.height} frame through Redis: raw SET ${transferRaw.setMs} ms, GET ${transferRaw.getMs} ms, DEL ${transferRaw.delMs} ms; JPEG SET ${transferJpeg.setMs} ms, GET ${transferJpeg.getMs} ms, DEL ${transferJpeg.delMs} ms\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'bus', clip: clip.name, backend, frames: embedded.frames, cores: availableParallelism(), load: loadavg().map(round),
    frame_encoding: frameEncodingOf(busDefaults), bytes_per_frame: { raw: bytes.raw, jpeg: bytes.jpeg },
    embedded_fps: embedded.fps, embedded_runs_fps: [embeddedBefore.fps, embeddedAfter.fps], redis_1x_raw_fps: oneRaw.fps, redis_1x_fps: one.fps, redis_2x_fps: two.fps,
    redis_vs_embedded: round(one.fps / embedded.fps), redis_raw_vs_embedded: round(oneRaw.fps / embedded.fps), scaling_2x_vs_1x: round(two.fps / one.fps),
    frame_transfer_ms: { raw: transferRaw, jpeg: transferJpeg },
    frames_exactly_once: [oneRaw, one, two, embeddedAfter].every((r) => r.frames === embeddedBefore.frames),
  })}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
