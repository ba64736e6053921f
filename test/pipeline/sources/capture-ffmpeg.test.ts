import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { FlowGate } from '../../../pipeline/flow/flow-gate.ts';
import { InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import type { FrameMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { ffmpegBinary } from '../../../pipeline/sources/ffmpeg-binary.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import type { VideoSource } from '../../../pipeline/sources/video-source.ts';
import { captureFfmpeg, type CaptureDrop, type CaptureOptions } from '../../../pipeline/sources/capture-ffmpeg.ts';
import { tempDir } from '../../helpers/paths.ts';
import { buildTestsrcClip, zeroMiddle } from '../../helpers/damaged-clip.ts';
import { createLogger } from '../../../pipeline/logger.ts';

const tmp = tempDir('es-capture-');
const at = (name: string) => join(tmp.dir, name);
/** 160x120, 10 fps, 6 photos x 5 frames = 30 frames, 3 s. */
const clip = at('clip.mp4');

async function ffmpeg(args: string[]): Promise<void> {
  const result = await runProcess('ffmpeg', ['-v', 'error', '-y', ...args]);
  assert.is(result.code, 0, result.stderr);
}

test.before(async () => {
  await buildDemoClip({ outPath: clip, width: 160, height: 120, fps: 10, secondsPerPhoto: 0.5 });
});
test.after(() => tmp.cleanup());

interface Run {
  start?: StreamStartMsg;
  frames: FrameMsg[];
  end?: StreamEndMsg;
  error?: unknown;
  pixels: Buffer[];
  emittedAt: number[];
  /** gate.inFlight seen by the consumer as each frame arrived. */
  inFlight: number[];
  drops: CaptureDrop[];
  store: InMemoryFrameStore;
  gate: FlowGate;
}

/**
 * Runs capture to completion with a consumer that plays the last sink: it reads the pixels,
 * then after `releaseAfterMs` deletes them and releases the frame's gate credit.
 */
function capture(source: VideoSource, options: Partial<CaptureOptions> & { capacity?: number; releaseAfterMs?: number } = {}): Promise<Run> {
  const store = new InMemoryFrameStore();
  const gate = options.gate ?? new FlowGate(options.capacity ?? 4);
  const run: Run = { frames: [], pixels: [], emittedAt: [], inFlight: [], drops: [], store, gate };
  const releases: Promise<void>[] = [];
  const consume = (msg: PipelineMsg) => {
    if (msg.kind === 'stream-start') run.start = msg;
    if (msg.kind === 'stream-end') run.end = msg;
    if (msg.kind !== 'frame') return;
    run.frames.push(msg);
    run.emittedAt.push(Date.now());
    run.inFlight.push(gate.inFlight);
    run.pixels.push(store.get(msg.meta.frameKey));
    releases.push(
      new Promise((resolve) =>
        setTimeout(() => {
          store.delete(msg.meta.frameKey);
          gate.release();
          resolve();
        }, options.releaseAfterMs ?? 0),
      ),
    );
  };
  return new Promise((resolve) => {
    captureFfmpeg({ cameraId: 'cam-1', frameStore: store, mode: 'replay', onDrop: (d) => run.drops.push(d), ...options, source, gate }).subscribe({
      next: consume,
      error: (err) => {
        run.error = err;
        void Promise.all(releases).then(() => resolve(run));
      },
      complete: () => void Promise.all(releases).then(() => resolve(run)),
    });
  });
}

/** The clip decoded by a plain ffmpeg run: the reference capture must match byte for byte. */
async function referenceFrames(path: string, width: number, height: number): Promise<Buffer[]> {
  const raw = at(`ref-${width}x${height}.bgr`);
  await ffmpeg(['-i', path, '-vf', `scale=${width}:${height}`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', raw]);
  const bytes = readFileSync(raw);
  const size = width * height * 3;
  return Array.from({ length: bytes.length / size }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

/** Live ffmpeg processes whose command line mentions `needle` (ffprobe excluded). */
function ffmpegProcessesFor(needle: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return /(^|\/)ffmpeg$/.test(args[0]) && args.includes(needle);
      } catch {
        return false; // the process ended while we looked
      }
    })
    .map(Number);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

test('emits stream-start, every frame with exact pixels and pts, then stream-end eof', async () => {
  const info = await probeVideo({ type: 'file', path: clip });
  const run = await capture({ type: 'file', path: clip });
  assert.is(run.error, undefined);
  assert.equal({ ...run.start!, startedAt: 0 }, {
    kind: 'stream-start', v: 1, cameraId: 'cam-1', source: clip, width: 160, height: 120, fps: 10, startedAt: 0,
  });
  assert.is(run.frames.length, info.frameCount);
  run.frames.forEach(({ meta }, i) => {
    assert.is(meta.seq, i);
    assert.is(meta.ptsMs, i * 100);
    assert.is(meta.frameKey, `cam-1:${i}`);
    assert.equal([meta.width, meta.height, meta.cameraId], [160, 120, 'cam-1']);
    assert.ok(meta.capturedAt >= run.start!.startedAt && meta.capturedAt <= Date.now());
  });
  const reference = await referenceFrames(clip, 160, 120);
  assert.is(reference.length, 30);
  run.pixels.forEach((pixels, i) => assert.ok(pixels.equals(reference[i]), `frame ${i} pixels differ from ffmpeg's decode`));
  assert.equal({ ...run.end!, endedAt: 0 }, {
    kind: 'stream-end', v: 1, cameraId: 'cam-1', frames: 30, reason: 'eof', endedAt: 0, integrity: { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 },
  });
  assert.is(run.gate.inFlight, 0);
  assert.is(run.store.size, 0);
});

/** `name` as the absolute path PATH finds it at (a path is kept). */
function onPath(name: string): string {
  if (name.includes('/')) return name;
  const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)).find((p) => existsSync(p));
  assert.ok(found, `${name} is not on PATH`);
  return found;
}

test('a source the caller already probed is not probed again: capture runs without an ffprobe', async () => {
  const info = await probeVideo({ type: 'file', path: clip });
  // An ffmpeg with no ffprobe beside it: probing there fails with ERR_FFMPEG_MISSING.
  const dir = at('ffmpeg-only');
  mkdirSync(dir, { recursive: true });
  const ffmpegPath = join(dir, 'ffmpeg');
  if (!existsSync(ffmpegPath)) symlinkSync(onPath(ffmpegBinary('ffmpeg')), ffmpegPath);
  const unprobed = await capture({ type: 'file', path: clip }, { ffmpegPath });
  assert.is((unprobed.error as { code?: string } | undefined)?.code, 'ERR_FFMPEG_MISSING');
  const run = await capture({ type: 'file', path: clip }, { ffmpegPath, probed: info });
  assert.is(run.error, undefined);
  assert.is(run.frames.length, info.frameCount);
  assert.equal([run.start!.width, run.start!.height, run.start!.fps], [160, 120, 10]);
  assert.is(run.end!.reason, 'eof');
});

for (const [container, codec] of [['mkv', ['-c:v', 'libx264']], ['avi', ['-c:v', 'mpeg4', '-q:v', '3']], ['webm', ['-c:v', 'libvpx', '-b:v', '300k']]] as const) {
  test(`a .${container} file (${codec[1]}) yields every frame with its timestamps`, async () => {
    const path = at(`clip.${container}`);
    await ffmpeg(['-i', clip, ...codec, path]);
    const run = await capture({ type: 'file', path });
    assert.is(run.error, undefined);
    assert.is(run.frames.length, 30);
    assert.equal(run.frames.map((f) => f.meta.seq), [...Array(30).keys()]);
    run.frames.forEach(({ meta }, i) => assert.ok(Math.abs(meta.ptsMs - i * 100) <= 1, `frame ${i} pts ${meta.ptsMs}`));
    assert.equal([run.start!.width, run.start!.height, run.start!.fps], [160, 120, 10]);
    assert.is(run.end!.reason, 'eof');
  });
}

test('resize scales every frame', async () => {
  const run = await capture({ type: 'file', path: clip }, { resize: { width: 80, height: 60 } });
  assert.equal([run.start!.width, run.start!.height], [80, 60]);
  assert.is(run.frames.length, 30);
  assert.ok(run.frames.every((f) => f.meta.width === 80 && f.meta.height === 60));
  const reference = await referenceFrames(clip, 80, 60);
  run.pixels.forEach((pixels, i) => assert.ok(pixels.equals(reference[i]), `frame ${i} differs`));
});

test('replay with a slow consumer never drops and never exceeds the gate', async () => {
  const run = await capture({ type: 'file', path: clip }, { capacity: 2, releaseAfterMs: 4 });
  assert.equal(run.frames.map((f) => f.meta.seq), Array.from({ length: 30 }, (_, i) => i));
  assert.equal(run.drops, []);
  assert.ok(Math.max(...run.inFlight) === 2, `in flight: ${run.inFlight.join(',')}`);
  assert.is(run.end!.reason, 'eof');
  assert.is(run.end!.frames, 30);
});

test('live with a slow consumer drops the oldest waiting frames, keeps the newest and counts', async () => {
  const run = await capture({ type: 'file', path: clip }, { mode: 'live', capacity: 1, releaseAfterMs: 40 });
  const emitted = run.frames.map((f) => f.meta.seq);
  const dropped = run.drops.map((d) => d.seq);
  assert.ok(dropped.length > 0, 'a consumer this slow must cause drops');
  assert.is(emitted.length + dropped.length, 30);
  assert.equal([...emitted, ...dropped].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  assert.ok(emitted.every((seq, i) => i === 0 || seq > emitted[i - 1]), `emitted out of order: ${emitted}`);
  assert.is(emitted.at(-1), 29, 'the newest frame is kept');
  assert.equal(run.drops.map((d) => d.dropped), dropped.map((_, i) => i + 1));
  assert.ok(run.drops.every((d) => d.cameraId === 'cam-1' && d.ptsMs === d.seq * 100));
  assert.ok(Math.max(...run.inFlight) <= 1);
  assert.is(run.end!.frames, emitted.length);
  assert.is(run.store.size, 0, 'dropped frames leave no pixels behind');
});

test('realtime replay paces frames to their presentation times', async () => {
  const short = at('short.mp4'); // 6 photos x 2 frames at 10 fps: 12 frames, last at 1.1 s
  await buildDemoClip({ outPath: short, width: 64, height: 48, fps: 10, secondsPerPhoto: 0.2 });
  const run = await capture({ type: 'file', path: short }, { realtime: true });
  assert.is(run.frames.length, 12);
  const first = run.emittedAt[0];
  // Measured from the first frame's emission, which itself may leave a few ms after it was due on
  // a busy machine (seen in CI: 3 ms), so each frame gets that much slack. Unpaced, all 12 would
  // leave within a few ms of each other.
  const slack = 20;
  run.frames.forEach((f, i) => {
    assert.ok(run.emittedAt[i] - first >= f.meta.ptsMs - slack, `frame ${i} at ${run.emittedAt[i] - first} ms, due ${f.meta.ptsMs}`);
  });
  const elapsed = run.emittedAt[11] - first;
  assert.ok(elapsed >= 1100 - slack && elapsed < 2500, `12 frames took ${elapsed} ms`);
});

test('variable frame rate: ptsMs follows each frame timestamp', async () => {
  const vfr = at('vfr.mp4');
  // Gaps of 100, 100, 150, 50, 100, 150, 50 ... ms.
  await ffmpeg([
    '-i', clip, '-vf', "setpts='(N*0.1+0.05*eq(mod(N,3),0)*gt(N,0))/TB'", '-fps_mode', 'passthrough',
    '-enc_time_base', '1/1000', '-c:v', 'libx264', '-preset', 'ultrafast', '-video_track_timescale', '1000', vfr,
  ]);
  const probed = await runProcess('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'json', vfr]);
  const { frames } = JSON.parse(probed.stdout) as { frames: Array<{ best_effort_timestamp_time: string }> };
  const times = frames.map((f) => Number(f.best_effort_timestamp_time) * 1000);
  assert.is(times.length, 30);
  const run = await capture({ type: 'file', path: vfr });
  assert.is(run.frames.length, times.length);
  run.frames.forEach((f, i) => assert.ok(Math.abs(f.meta.ptsMs - (times[i] - times[0])) < 0.5, `frame ${i}: ${f.meta.ptsMs} vs ${times[i] - times[0]}`));
  assert.is(run.frames[3].meta.ptsMs - run.frames[2].meta.ptsMs, 150);
  assert.is(run.frames[4].meta.ptsMs - run.frames[3].meta.ptsMs, 50);
});

test('a video that starts after its audio is not padded with duplicated frames', async () => {
  const late = at('late.mp4');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-itsoffset', '0.5', '-i', clip,
    '-map', '1:v', '-map', '0:a', '-c:v', 'copy', '-c:a', 'aac', '-t', '3.5', late,
  ]);
  const info = await probeVideo({ type: 'file', path: late });
  const run = await capture({ type: 'file', path: late });
  assert.is(run.frames.length, info.frameCount);
  assert.is(run.frames.length, 30);
  assert.equal(run.frames.slice(0, 3).map((f) => f.meta.ptsMs), [0, 100, 200]);
});

test('an mp4 cut in half: the frames before the cut, then stream-end with the error', async () => {
  // The demo clip is +faststart (index first), so ffprobe opens the half file and ffmpeg decodes until the data runs out.
  const half = at('half.mp4');
  const bytes = readFileSync(clip);
  writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
  const run = await capture({ type: 'file', path: half });
  assert.is(run.error, undefined);
  assert.ok(run.start);
  assert.ok(run.frames.length > 5 && run.frames.length < 30, `decoded ${run.frames.length} frames`);
  assert.is(run.end!.reason, 'error');
  assert.is(run.end!.frames, run.frames.length);
  assert.is(run.end!.error!.code, 'ERR_SOURCE_UNREADABLE');
  assert.match(run.end!.error!.message, /partial file/);
});

test('a clip damaged in the middle: frames ffmpeg could not decode are reported as decode errors and a pts gap, at the time and at stream-end', async () => {
  // 200 frames at 30 fps; 8 KB zeroed in the middle destroy a run of frames (about a second here).
  const clean = await buildTestsrcClip(at('testsrc.mp4'), { frames: 200, fps: 30, width: 160, height: 120 });
  const damaged = zeroMiddle(clean, at('testsrc-damaged.mp4'), 8 * 1024);
  const warnings: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) } });
  const run = await capture({ type: 'file', path: damaged }, { logger });
  assert.is(run.error, undefined);
  assert.is(run.end!.reason, 'eof', 'a damaged file still ends eof, after every frame that decoded');
  const integrity = run.end!.integrity!;
  assert.ok(integrity.decodeErrors > 0, `decode errors counted: ${JSON.stringify(integrity)}`);
  assert.ok(integrity.ptsGaps >= 1, `pts gap found: ${JSON.stringify(integrity)}`);
  assert.ok(run.frames.length < 200, `frames were lost: ${run.frames.length}`);
  assert.is(run.frames.length + integrity.framesMissing, 200, 'the gaps account for every frame lost');
  // The gap is where presentation time jumps, and it was logged (once per gap) as it happened.
  const steps = run.frames.slice(1).map((f, i) => f.meta.ptsMs - run.frames[i].meta.ptsMs);
  const jumps = steps.filter((ms) => ms > 1.5 * (1000 / 30));
  assert.is(jumps.length, integrity.ptsGaps);
  const gapLogs = warnings.filter((l) => l.msg === 'presentation time jumps: frames missing from the source');
  assert.is(gapLogs.length, integrity.ptsGaps);
  assert.is(gapLogs.reduce((n, l) => n + (l.framesMissing as number), 0), integrity.framesMissing);
  assert.ok(warnings.some((l) => l.msg === 'ffmpeg reported a decode error: the source is damaged'), 'decode error logged');
  const ended = warnings.find((l) => l.msg === 'capture ended');
  assert.equal(ended?.integrity, integrity, 'capture ended at warn, with the counts');

  const intact = await capture({ type: 'file', path: clean });
  assert.is(intact.frames.length, 200);
  assert.equal(intact.end!.integrity, { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 });
});

async function openError(source: VideoSource, options: Partial<CaptureOptions> = {}): Promise<{ code: string; message: string }> {
  const run = await capture(source, options);
  assert.is(run.start, undefined, 'no stream-start before an open error');
  assert.is(run.frames.length, 0);
  assert.ok(isEmotionStreamError(run.error), `expected a coded error, got ${String(run.error)}`);
  return { code: run.error.code, message: run.error.message };
}

test('sources that cannot be opened error the observable with one clear coded error', async () => {
  const missing = at('missing.mp4');
  assert.equal(await openError({ type: 'file', path: missing }), { code: 'ERR_SOURCE_NOT_FOUND', message: `video file not found: ${missing}` });
  const text = at('text.mp4');
  writeFileSync(text, 'not a video\n');
  const unreadable = await openError({ type: 'file', path: text });
  assert.is(unreadable.code, 'ERR_SOURCE_UNREADABLE');
  assert.match(unreadable.message, /^video file could not be opened: .*text\.mp4: moov atom not found/);
  assert.equal(await openError({ type: 'webcam', platform: 'linux', device: '/dev/video-es-missing' }), {
    code: 'ERR_SOURCE_UNREACHABLE',
    message: 'webcam /dev/video-es-missing not found',
  });
  const rtsp = await openError({ type: 'rtsp', url: 'rtsp://admin:hunter2@127.0.0.1:9/live', timeoutMs: 2000 });
  assert.is(rtsp.code, 'ERR_SOURCE_UNREACHABLE');
  assert.not.match(rtsp.message, /hunter2/);
  const badResize = await openError({ type: 'file', path: clip }, { resize: { width: 0, height: 60 } });
  assert.is(badResize.code, 'ERR_CONFIG');
  const noFfmpeg = await openError({ type: 'file', path: clip }, { ffmpegPath: at('bin/ffmpeg') });
  assert.is(noFfmpeg.code, 'ERR_FFMPEG_MISSING');
});

test('unsubscribing kills ffmpeg and drops waiting pixels', async () => {
  const own = at('unsubscribe.mp4');
  writeFileSync(own, readFileSync(clip));
  const store = new InMemoryFrameStore();
  const gate = new FlowGate(1);
  let frames = 0;
  const subscription = captureFfmpeg({ source: { type: 'file', path: own }, cameraId: 'cam-u', frameStore: store, gate, mode: 'replay' }).subscribe({
    next: (msg) => void (msg.kind === 'frame' && (frames += 1)),
  });
  // Nobody releases the one credit: ffmpeg ends up blocked on a full pipe.
  assert.ok(await waitFor(() => frames === 1 && ffmpegProcessesFor(own).length === 1, 5000), 'ffmpeg should be running');
  const [pid] = ffmpegProcessesFor(own);
  subscription.unsubscribe();
  assert.ok(await waitFor(() => !readdirSync('/proc').includes(String(pid)), 3000), `ffmpeg ${pid} still exists (or is a zombie)`);
  assert.is(frames, 1);
  assert.is(gate.waiting, 0);
});

test('aborting the signal ends the stream with stream-end stopped', async () => {
  const own = at('abort.mp4');
  writeFileSync(own, readFileSync(clip));
  const controller = new AbortController();
  const gate = new FlowGate(1);
  let seen = 0;
  const running = capture({ type: 'file', path: own }, { gate, signal: controller.signal, releaseAfterMs: 10 });
  assert.ok(await waitFor(() => gate.inFlight > 0 && ffmpegProcessesFor(own).length === 1, 5000));
  controller.abort();
  const run = await running;
  seen = run.frames.length;
  assert.ok(seen >= 1 && seen < 30);
  assert.is(run.end!.reason, 'stopped');
  assert.is(run.end!.frames, seen);
  assert.is(run.error, undefined);
  assert.ok(await waitFor(() => ffmpegProcessesFor(own).length === 0, 3000), 'ffmpeg should be gone');
});

test('a signal aborted before the source opens completes without a stream', async () => {
  const run = await capture({ type: 'file', path: clip }, { signal: AbortSignal.abort() });
  assert.equal([run.start, run.frames.length, run.end, run.error], [undefined, 0, undefined, undefined]);
});

test.run();
