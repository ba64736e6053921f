import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, concat, from, lastValueFrom, throwError, toArray, type Observable } from 'rxjs';
import { writeVideo, type VideoSink, type WriteVideoDeps } from '../../../pipeline/stages/write-video.ts';
import { AnnotatedVideoWriter } from '../../../pipeline/sinks/annotated-video-writer.ts';
import { frameKey, InMemoryFrameStore } from '../../../pipeline/frames/frame-store.ts';
import type { ClassificationsMsg, PipelineMsg, StreamEndMsg, StreamStartMsg } from '../../../pipeline/messages.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { tempDir } from '../../helpers/paths.ts';

const CAMERA = 'cam1';
const W = 64;
const H = 48;
const tmp = tempDir('es-write-video-');
/** Every writer a test opened: killed at the end whatever the test did, so no ffmpeg outlives the file. */
const opened: AnnotatedVideoWriter[] = [];
test.after(async () => {
  await Promise.all(opened.map((w) => w.abort().catch(() => undefined)));
  tmp.cleanup();
});

const start = (cameraId = CAMERA): StreamStartMsg => ({ kind: 'stream-start', v: 1, cameraId, source: 'test', width: W, height: H, fps: 10, startedAt: 1 });
const end = (frames: number): StreamEndMsg => ({ kind: 'stream-end', v: 1, cameraId: CAMERA, frames, reason: 'eof', endedAt: 2 });
/** Frame `seq` is a flat gray of level 20 + 40 * seq, so the decoded order can be read back. */
const level = (seq: number) => 20 + 40 * seq;

function classified(seq: number): ClassificationsMsg {
  const meta = { cameraId: CAMERA, seq, ptsMs: seq * 100, capturedAt: 0, width: W, height: H, frameKey: frameKey(CAMERA, seq) };
  return { kind: 'classifications', v: 1, meta, faces: [], modelVersion: 'm', timings: {}, annotated: true };
}

function storeWith(...seqs: number[]): InMemoryFrameStore {
  const store = new InMemoryFrameStore();
  for (const seq of seqs) store.put(frameKey(CAMERA, seq), Buffer.alloc(W * H * 3, level(seq)));
  return store;
}

/** The real encoder, recorded so the test can see whether it was closed or aborted. */
function realSinks(name: string) {
  const log: { path: string; closed: boolean; aborted?: Promise<void> }[] = [];
  const open = async (s: StreamStartMsg): Promise<VideoSink> => {
    const path = join(tmp.dir, `${name}-${log.length}.mp4`);
    const writer = await AnnotatedVideoWriter.open({ outPath: path, width: s.width, height: s.height, fps: s.fps });
    opened.push(writer);
    const entry: (typeof log)[number] = { path, closed: false };
    log.push(entry);
    return {
      write: (pixels) => writer.write(pixels),
      close: async () => { await writer.close(); entry.closed = true; },
      abort: () => (entry.aborted = writer.abort()),
      get framesWritten() { return writer.framesWritten; },
    };
  };
  return { log, open };
}

/** Mean gray level of every frame of a video, as ffmpeg decodes it. */
async function frameLevels(path: string): Promise<number[]> {
  const raw = `${path}.gray`;
  const result = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', raw]);
  assert.is(result.code, 0, result.stderr);
  const bytes = readFileSync(raw);
  return Array.from({ length: bytes.length / (W * H) }, (_, i) => {
    let sum = 0;
    for (let p = i * W * H; p < (i + 1) * W * H; p += 1) sum += bytes[p];
    return Math.round(sum / (W * H));
  });
}

function run(input: Observable<PipelineMsg>, deps: WriteVideoDeps): Promise<PipelineMsg[]> {
  return lastValueFrom(input.pipe(writeVideo(deps), toArray()));
}

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('writes every frame in order, closes the file at stream-end and passes messages through unchanged', async () => {
  const sinks = realSinks('order');
  const closed: [string, number][] = [];
  const input: PipelineMsg[] = [start(), classified(0), classified(1), classified(2), classified(3), end(4)];
  const out = await run(from(input), { frameStore: storeWith(0, 1, 2, 3), open: sinks.open, onClosed: (cam, n) => closed.push([cam, n]) });

  out.forEach((msg, i) => assert.is(msg, input[i]));
  assert.is(out.length, input.length);
  assert.equal(closed, [[CAMERA, 4]]);
  assert.is(sinks.log[0].closed, true);
  const { path } = sinks.log[0];
  const info = await probeVideo({ type: 'file', path });
  assert.equal([info.frameCount, info.fps, info.width, info.height], [4, 10, W, H]);
  const levels = await frameLevels(path);
  levels.forEach((l, i) => assert.ok(Math.abs(l - level(i)) <= 3, `frame ${i}: level ${l}, expected ${level(i)}`));
});

test('a frame whose pixels are gone does not stop the video: the previous frame is repeated, frame count kept', async () => {
  const sinks = realSinks('missing');
  const input: PipelineMsg[] = [start(), classified(0), classified(1), classified(2), end(3)];
  const out = await run(from(input), { frameStore: storeWith(0, 2), open: sinks.open });
  assert.is(out.length, 5);
  const levels = await frameLevels(sinks.log[0].path);
  assert.is(levels.length, 3);
  assert.ok(Math.abs(levels[1] - level(0)) <= 3 && Math.abs(levels[2] - level(2)) <= 3, `levels ${levels}`);
});

test('a sink that cannot be opened errors the stream with ERR_SINK', async () => {
  const open = (s: StreamStartMsg) => AnnotatedVideoWriter.open({ outPath: join(tmp.dir, 'no-such-dir', 'x.mp4'), width: s.width, height: s.height, fps: s.fps });
  try {
    await run(from([start(), classified(0), end(1)]), { frameStore: storeWith(0), open });
    assert.unreachable('should have errored');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_SINK');
    assert.match((err as Error).message, 'no-such-dir');
  }
});

test('an upstream error after stream-start aborts the open file: no half-written video is left behind', async () => {
  const sinks = realSinks('upstream-error');
  const input = concat(from([start(), classified(0), classified(1)]), throwError(() => new Error('detector exploded')));
  try {
    await run(input, { frameStore: storeWith(0, 1), open: sinks.open });
    assert.unreachable('should have errored');
  } catch (err) {
    assert.is((err as Error).message, 'detector exploded', 'the upstream error reaches the caller unchanged');
  }
  // The error arrives while the file is still being opened: the sink must be aborted once it exists.
  await until(() => sinks.log[0]?.aborted !== undefined, 'the sink to be aborted');
  await sinks.log[0].aborted;
  assert.is(sinks.log[0].closed, false);
  assert.is(existsSync(sinks.log[0].path), false);
});

test('unsubscribing mid-stream aborts the open file', async () => {
  const sinks = realSinks('unsubscribe');
  const input = new Subject<PipelineMsg>();
  const seen: PipelineMsg[] = [];
  const sub = input.pipe(writeVideo({ frameStore: storeWith(0), open: sinks.open })).subscribe((m) => seen.push(m));
  input.next(start());
  input.next(classified(0));
  await until(() => seen.length === 2, 'the first frame to be written');
  sub.unsubscribe();
  await until(() => sinks.log[0].aborted !== undefined, 'the sink to be aborted');
  await sinks.log[0].aborted;
  assert.is(existsSync(sinks.log[0].path), false);
});

test('input that completes without a stream-end still closes the file properly', async () => {
  const sinks = realSinks('no-end');
  const closed: number[] = [];
  await run(from([start(), classified(0), classified(1)]), { frameStore: storeWith(0, 1), open: sinks.open, onClosed: (_, n) => closed.push(n) });
  assert.equal([closed, sinks.log[0].closed], [[2], true]);
  assert.is((await probeVideo({ type: 'file', path: sinks.log[0].path })).frameCount, 2);
});

test('a camera that starts again without a stream-end finishes its first file before opening the next', async () => {
  const sinks = realSinks('restart');
  const closed: number[] = [];
  await run(from([start(), classified(0), start(), classified(1), end(1)]), { frameStore: storeWith(0, 1), open: sinks.open, onClosed: (_, n) => closed.push(n) });
  assert.equal(closed, [1, 1]);
  assert.equal(sinks.log.map((l) => l.closed), [true, true]);
});

test('frames of a camera without a stream-start are passed on unwritten; empty input completes', async () => {
  const sinks = realSinks('none');
  const msg = classified(0);
  assert.equal(await run(from([msg]), { frameStore: storeWith(0), open: sinks.open }), [msg]);
  assert.equal(await run(from([] as PipelineMsg[]), { frameStore: storeWith(), open: sinks.open }), []);
  assert.is(sinks.log.length, 0);
});

test.run();
