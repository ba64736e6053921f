import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { FrameEvent, WireEvent } from '../../pipeline/events/wire-event.ts';
import { buildDemoClip } from '../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../pipeline/sources/probe-video.ts';
import { TestRedisServer } from './redis-server.ts';
import { WorkerProcess } from './worker-process.ts';
import { tempDir } from './paths.ts';

export interface CaptureSummary {
  frames: number;
  lost: number;
  videoFrames: number;
  end: { reason: string; error?: { code: string } };
}

/**
 * `emotion-stream worker` processes on a test-owned Redis (append-only, so it can be killed and
 * restarted), one events JSONL file written by the sinks worker, and a short demo clip to replay:
 * what the scale-out tests share. `stop()` kills every process it started and removes its files.
 */
export class RedisStackHarness {
  readonly workers: WorkerProcess[] = [];
  readonly events: string;
  readonly common: string[];

  private constructor(readonly tmp: { dir: string; cleanup: () => void }, readonly redis: TestRedisServer, readonly clip: string, readonly frames: number, readonly prefix: string) {
    this.events = join(tmp.dir, 'events.jsonl');
    const configFile = join(tmp.dir, 'stack.yaml');
    writeFileSync(configFile, 'bus: {}\n');
    this.common = ['--redis', redis.url, '--prefix', prefix, '--log-level', 'info', '--config', configFile, '--metrics-port', '0'];
  }

  /** A Redis, a 320x240 10 fps clip of the six sample photos (`secondsPerPhoto` each, default 3: 180 frames). */
  static async start(name: string, options: { prefix?: string; secondsPerPhoto?: number } = {}): Promise<RedisStackHarness> {
    const { prefix = 'es-test', secondsPerPhoto = 3 } = options;
    const tmp = tempDir(`es-${name}-`);
    const redis = await TestRedisServer.start(tmp.dir);
    const clip = await buildDemoClip({ outPath: join(tmp.dir, 'clip.mp4'), width: 320, height: 240, fps: 10, secondsPerPhoto });
    const frames = (await probeVideo({ type: 'file', path: clip })).frameCount!;
    return new RedisStackHarness(tmp, redis, clip, frames, prefix);
  }

  worker(name: string, stages: string[], extra: string[] = []): WorkerProcess {
    const w = new WorkerProcess(name, [...stages, ...this.common, ...extra], { cwd: this.tmp.dir });
    this.workers.push(w);
    return w;
  }

  named(name: string): WorkerProcess {
    const w = this.workers.find((x) => x.name === name);
    if (!w) throw new Error(`no worker named ${name}`);
    return w;
  }

  /** The capture worker of one replay of the clip as camera `cameraId`, started now. */
  capture(cameraId: string, name = `capture-${cameraId}`): WorkerProcess {
    return this.worker(name, ['capture'], ['--file', this.clip, '--camera-id', cameraId, '--out', join(this.tmp.dir, `${cameraId}.mp4`)]);
  }

  /** Replays the clip as camera `cameraId`; `during` runs while frames flow. Resolves with capture's summary. */
  async replay(cameraId: string, during?: () => Promise<void>): Promise<{ summary: CaptureSummary; video: string }> {
    const capture = this.capture(cameraId);
    const duringDone = during?.();
    const exit = await capture.exited;
    await duringDone;
    assert.is(exit.code, 0, `capture exited ${exit.code}: ${capture.stderr.slice(-1500)}`);
    return { summary: summaryOf(capture), video: join(this.tmp.dir, `${cameraId}.mp4`) };
  }

  /** The camera's events in the events file; a line without its newline (still being written) is left out. */
  cameraEvents(cameraId: string): WireEvent[] {
    if (!existsSync(this.events)) return [];
    const lines = readFileSync(this.events, 'utf8').split('\n');
    lines.pop(); // '' after the last newline, or a line not finished
    return lines.filter(Boolean).map((l) => JSON.parse(l) as WireEvent).filter((e) => e.cameraId === cameraId);
  }

  /** A sinks worker writing the events file (a restarted one appends to it). */
  sinks(name: string): WorkerProcess {
    return this.worker(name, ['sinks'], ['--events', this.events]);
  }

  frameCount(cameraId: string): number {
    return this.cameraEvents(cameraId).filter((e) => e.type === 'frame').length;
  }

  /** Waits until the sinks worker has written `n` frame events of the camera (fails if `owner` exits first). */
  async framesWritten(cameraId: string, n: number, owner?: WorkerProcess): Promise<void> {
    while (this.frameCount(cameraId) < n) {
      if (owner && owner.child.exitCode !== null) throw new Error(`${owner.name} exited before ${cameraId} had ${n} frames out; stderr tail:\n${owner.stderr.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** start, frames 0..frames-1 each exactly once in order, end: what every replay must yield. */
  assertExactlyOnceInOrder(list: WireEvent[], label: string, frames = this.frames): FrameEvent[] {
    assert.is(list[0]?.type, 'stream-start', `${label}: starts with stream-start`);
    assert.is(list[list.length - 1]?.type, 'stream-end', `${label}: ends with stream-end`);
    assert.is(list.filter((e) => e.type === 'stream-start').length, 1, `${label}: one stream-start`);
    const got = list.filter((e): e is FrameEvent => e.type === 'frame');
    assert.equal(got.map((e) => e.seq), Array.from({ length: frames }, (_, i) => i), `${label}: every frame once, in order`);
    return got;
  }

  /** Every key under the harness's prefix with its remaining time to live (-1: none). */
  async keys(): Promise<Map<string, number>> {
    const client = new Redis(this.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const found = new Map<string, number>();
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of batch) found.set(key, await client.pttl(key));
      } while (cursor !== '0');
      for (const [key, ttl] of found) if (ttl === -2) found.delete(key); // expired while scanning
      return found;
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill('SIGKILL')));
    await this.redis.kill();
    this.tmp.cleanup();
  }
}

export function summaryOf(capture: WorkerProcess): CaptureSummary {
  return JSON.parse(capture.stdout.trim().split('\n').pop()!) as CaptureSummary;
}

/**
 * The longest pause between consecutive frame events of a stream as the sinks emitted them
 * (their `emittedAt`), and the median one: how long a fault held the stream up.
 */
export function longestPause(frames: FrameEvent[]): { longestMs: number; medianMs: number; afterSeq: number } {
  const gaps = frames.slice(1).map((e, i) => ({ ms: e.emittedAt - frames[i].emittedAt, afterSeq: frames[i].seq }));
  const longest = gaps.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, afterSeq: -1 });
  const sorted = gaps.map((g) => g.ms).sort((a, b) => a - b);
  return { longestMs: longest.ms, medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0, afterSeq: longest.afterSeq };
}

/** Prints a fail-over figure (the test asserts outcomes; the figure is for docs/scale-out.md). */
export function reportStall(what: string, pause: { longestMs: number; medianMs: number }, extra = ''): void {
  process.stdout.write(`[fail-over] ${what}: longest pause between frame events ${(pause.longestMs / 1000).toFixed(2)} s (median ${(pause.medianMs / 1000).toFixed(2)} s)${extra ? `; ${extra}` : ''}\n`);
}
