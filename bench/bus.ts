/**
 * bench:bus — the 640x480 clip with faces (see bench-clip.ts) replayed, every frame detected and
 * classified: on the embedded pipeline (one process, RxJS), then on Redis with worker processes:
 * 1 detector + 1 classifier, then 2 of each (plus one sinks worker). Also the cost of moving one
 * frame's pixels through Redis (SET with TTL + GET + DEL of 921,600 bytes). Prints frames/s and the
 * ratios (Redis vs embedded, 2 vs 1); last line one JSON object.
 *   npm run bench:bus [-- --clip file.mp4 --redis redis://127.0.0.1:6379]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../pipeline/compose.ts';
import { connectBus } from '../pipeline/bus/connect-bus.ts';
import { benchSetup } from './bench-clip.ts';

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

/** One Redis configuration: workers up, then a capture worker replays the clip; fps from the sinks' summary. */
async function redisRun(clip: string, copies: number): Promise<{ frames: number; fps: number; wallSeconds: number }> {
  const prefix = `es-bench-${process.pid}-${copies}`;
  const workers = [startWorker(['sinks'], prefix)];
  for (let i = 0; i < copies; i++) workers.push(startWorker(['detector'], prefix), startWorker(['classifier'], prefix));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const capture = startWorker(['capture'], prefix, ['--file', clip]);
    const summary = JSON.parse((await capture.out).trim().split('\n').pop()!) as { frames: number; fps: number; wallSeconds: number };
    return summary;
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.out));
  }
}

/** Pixels cross the bus once per frame: SET (with TTL) by capture, GET per stage that reads them, DEL at the end. */
async function frameTransferMs(width: number, height: number): Promise<{ setMs: number; getMs: number; delMs: number }> {
  const bus = await connectBus({ transport: 'redis', redisUrl, prefix: `es-bench-${process.pid}-frames` });
  const pixels = Buffer.alloc(width * height * 3, 7);
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

try {
  const { clip, backend, classifier, config, detector } = await benchSetup({ workDir, clip: values.clip, seconds: values.seconds });
  process.stderr.write(`clip: ${clip.name}; model ${classifier.version} on ${backend}; redis ${redisUrl.replace(/:[^:@/]*@/, ':***@')}\n`);
  const embedded = await runPipeline(config, { detector, classifier, sinks: [] }).done;
  detector.dispose?.();
  classifier.dispose();
  process.stderr.write(`embedded (in-process RxJS): ${embedded.frames} frames, ${embedded.fps} frames/s\n`);
  const one = await redisRun(clip.path, 1);
  process.stderr.write(`redis, 1 detector + 1 classifier: ${one.frames} frames, ${one.fps} frames/s\n`);
  const two = await redisRun(clip.path, 2);
  process.stderr.write(`redis, 2 detectors + 2 classifiers: ${two.frames} frames, ${two.fps} frames/s\n`);
  const transfer = await frameTransferMs(embedded.width, embedded.height);
  process.stderr.write(`one ${embedded.width}x${embedded.height} frame through Redis: SET ${transfer.setMs} ms, GET ${transfer.getMs} ms, DEL ${transfer.delMs} ms\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'bus', clip: clip.name, backend, frames: embedded.frames, cores: (await import('node:os')).availableParallelism(),
    embedded_fps: embedded.fps, redis_1x_fps: one.fps, redis_2x_fps: two.fps,
    redis_vs_embedded: round(one.fps / embedded.fps), scaling_2x_vs_1x: round(two.fps / one.fps),
    frame_transfer_ms: transfer, frames_exactly_once: one.frames === embedded.frames && two.frames === embedded.frames,
  })}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
