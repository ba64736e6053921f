/**
 * bench:pipeline — whole replay processes on a 640x480 clip with faces, in the same run:
 *  (a) `emotion-stream replay <clip> --json --full-detect-every N`: detect-then-track, the intended
 *      replay default (N from `--every`, default DEFAULT_EVERY, what bench/detect-coverage.ts found);
 *  (b) the same with `--full-detect-every 1`: whole-frame detection on every frame (today's default);
 *  (c) @vladmandic/face-api's tiny face detector + expression net on one core (tfjs wasm, one
 *      thread; bench/face-api-baseline.ts), as a whole process too, and its in-process figure;
 *  and, in this process, the seed notebook's loop (one frame at a time, Haar on every frame, one
 *  predict() per face) unless --skip-notebook.
 * Each process is timed from spawn to exit, start-up included; frames come from its JSON summary.
 * The run's own in-pipeline frames/s (start-up excluded) are printed beside.
 * `--detect-concurrency 1` adds (a) again with detector.concurrency 1 (a config file), for each value
 * listed. `--repeat R` runs every process R times (interleaved) and reports the median.
 * Clip: ../shared/media/video/d6.mp4, first 10 s, scaled to 640x480, when ../shared exists (the clip
 * ../shared/BENCHMARKS.md uses), else the demo clip built from package-shipped photos.
 * Goals: (a) at least 60 frames/s as a whole process on the 2 cores, at least 3x face-api's.
 * The load average (os.loadavg) before and after each measurement is printed: others may be busy.
 * Last line: one JSON object.
 *   npm run bench:pipeline [-- --every 10 --clip file.mp4 --seconds 10 --repeat 1 --detect-concurrency 1 --skip-notebook]
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { concatMap, lastValueFrom, from, toArray } from 'rxjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { benchClip, benchSetup } from './bench-clip.ts';
import type { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { cropFaces } from '../pipeline/classifiers/face-crops.ts';
import { captureFfmpeg } from '../pipeline/sources/capture-ffmpeg.ts';
import { InMemoryFrameStore } from '../pipeline/frames/frame-store.ts';
import { FlowGate } from '../pipeline/flow/flow-gate.ts';
import type { FaceDetector } from '../pipeline/detectors/face-detector.ts';
import type { RunSummary } from '../pipeline/run-stats.ts';
import { detectorSchema } from '../config/schema.ts';

/**
 * detect-then-track's N for (a): the replay default (detector.fullDetectEvery), chosen by
 * bench/detect-coverage.ts (2026-12-05, 12 clips: N = 10 keeps every clip within 2% of
 * every-frame detection, worst clip +0.17%, and runs fastest of 10 and 15).
 */
const DEFAULT_EVERY = detectorSchema.parse({}).fullDetectEvery;
const GOAL_FPS = 60;
const GOAL_VS_FACE_API = 3;

const { values } = parseArgs({
  options: {
    clip: { type: 'string' }, seconds: { type: 'string' }, every: { type: 'string', default: String(DEFAULT_EVERY) },
    repeat: { type: 'string', default: '1' }, 'detect-concurrency': { type: 'string' }, 'skip-notebook': { type: 'boolean', default: false },
  },
});
const every = Number(values.every);
if (!Number.isInteger(every) || every < 1) throw new Error(`--every must be a positive integer, got "${values.every}"`);
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got "${values.repeat}"`);
const extraConcurrency = values['detect-concurrency'] ? values['detect-concurrency'].split(',').map((s) => Number(s.trim())) : [];
if (extraConcurrency.some((c) => !Number.isInteger(c) || c < 1 || c > 16)) throw new Error(`--detect-concurrency must list integers 1-16, got "${values['detect-concurrency']}"`);

const ROOT = resolve(import.meta.dirname, '..');
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const load = () => loadavg().map((x) => round(x));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const workDir = mkdtempSync(join(tmpdir(), 'es-bench-'));

interface ProcessRun { wallSeconds: number; frames: number; fps: number; json: Record<string, unknown>; loadBefore: number[]; loadAfter: number[] }

/** Runs `node args...` in the repository root; wall time from spawn to exit; its last stdout line parsed as JSON. */
function timedProcess(args: string[]): Promise<ProcessRun> {
  const loadBefore = load();
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', rej);
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      if (code !== 0) return rej(new Error(`node ${args.join(' ')} exited ${code}:\n${err.trim()}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        const json = JSON.parse(last) as Record<string, unknown>;
        const frames = Number(json.frames);
        res({ wallSeconds, frames, fps: frames / wallSeconds, json, loadBefore, loadAfter: load() });
      } catch {
        rej(new Error(`node ${args.join(' ')}: last stdout line is not JSON: ${last.slice(0, 200)}\n${err.trim()}`));
      }
    });
  });
}

/** The seed notebook's loop: frame by frame, detect, then predict each face on its own. */
async function notebookLoop(clip: string, detector: FaceDetector, classifier: TfjsEmotionClassifier): Promise<{ frames: number; fps: number }> {
  const frameStore = new InMemoryFrameStore();
  const gate = new FlowGate(1);
  const t0 = performance.now();
  const done = await lastValueFrom(captureFfmpeg({ source: { type: 'file', path: clip }, cameraId: 'nb', frameStore, gate, mode: 'replay' }).pipe(
    concatMap((msg) => from((async () => {
      if (msg.kind !== 'frame') return 0;
      const frame = { pixels: frameStore.get(msg.meta.frameKey), width: msg.meta.width, height: msg.meta.height };
      const boxes = await detector.detect(frame);
      for (const box of boxes) classifier.classify(cropFaces(frame, [box], classifier.inputSize), 1);
      frameStore.delete(msg.meta.frameKey);
      gate.release();
      return 1;
    })())),
    toArray(),
  ));
  const frames = done.reduce((a: number, b: number) => a + b, 0);
  return { frames, fps: frames / ((performance.now() - t0) / 1000) };
}

interface Variant { key: string; label: string; args: string[]; runs: ProcessRun[] }

/** Median whole-process figures of a variant, with the replay summary's own (start-up excluded) when it is a replay. */
function figures(v: Variant) {
  const wall = median(v.runs.map((r) => r.wallSeconds));
  const fps = median(v.runs.map((r) => r.fps));
  const first = v.runs[0].json;
  const inRunFps = median(v.runs.map((r) => Number(r.json.fps)));
  const inRunSeconds = median(v.runs.map((r) => Number(r.json.wallSeconds ?? r.json.seconds)));
  return {
    frames: v.runs[0].frames, process_seconds: round(wall), process_fps: round(fps), in_run_fps: round(inRunFps), in_run_seconds: round(inRunSeconds),
    startup_and_exit_seconds: round(median(v.runs.map((r) => r.wallSeconds - Number(r.json.wallSeconds ?? r.json.seconds)))),
    frames_with_faces: (first.framesWithFaces ?? first.frames_with_faces) as number, faces: first.faces as number,
    runs: v.runs.map((r) => ({ process_seconds: round(r.wallSeconds), process_fps: round(r.fps), in_run_fps: Number(r.json.fps), loadavg_before: r.loadBefore, loadavg_after: r.loadAfter })),
  };
}

try {
  const loadStart = load();
  const clip = await benchClip({ workDir, clip: values.clip, seconds: values.seconds });
  process.stderr.write(`bench:pipeline: clip ${clip.name}; whole processes timed from spawn to exit (start-up included), ${repeat} run(s) each, median; load average ${loadStart.join(' ')}\n`);
  const replay = (flags: string[]) => ['bin/emotion-stream.js', 'replay', clip.path, '--json', ...flags];
  const variants: Variant[] = [
    { key: 'detect_then_track', label: `(a) replay --full-detect-every ${every} (detect-then-track)`, args: replay(['--full-detect-every', String(every)]), runs: [] },
    { key: 'every_frame', label: '(b) replay --full-detect-every 1 (every frame, today)', args: replay(['--full-detect-every', '1']), runs: [] },
    ...extraConcurrency.map((c) => {
      const file = join(workDir, `detector-concurrency-${c}.yaml`);
      writeFileSync(file, `detector:\n  concurrency: ${c}\n`);
      return { key: `detect_then_track_concurrency_${c}`, label: `(a') replay --full-detect-every ${every}, detector.concurrency ${c}`, args: replay(['--full-detect-every', String(every), '--config', file]), runs: [] };
    }),
    { key: 'face_api', label: '(c) face-api tiny detector + expression net, wasm 1 thread', args: ['--import', 'tsx', 'bench/face-api-baseline.ts', '--clip', clip.path], runs: [] },
  ];
  for (let i = 0; i < repeat; i++) {
    for (const v of variants) {
      const r = await timedProcess(v.args);
      v.runs.push(r);
      const inRun = v.key === 'face_api' ? `in-process ${r.json.fps} frames/s (models loaded before)` : `in-run ${r.json.fps} frames/s`;
      process.stderr.write(`${v.label}: ${r.frames} frames in ${round(r.wallSeconds)} s = ${round(r.fps)} frames/s whole process; ${inRun}; frames with faces ${r.json.framesWithFaces ?? r.json.frames_with_faces}/${r.frames}; load ${r.loadBefore[0]} -> ${r.loadAfter[0]}\n`);
    }
  }

  let notebook: { frames: number; fps: number; loadavg_before: number[]; loadavg_after: number[] } | null = null;
  if (!values['skip-notebook']) {
    const before = load();
    const { classifier, detector, backend } = await benchSetup({ workDir, clip: clip.path });
    const nb = await notebookLoop(clip.path, detector, classifier);
    notebook = { frames: nb.frames, fps: round(nb.fps), loadavg_before: before, loadavg_after: load() };
    process.stderr.write(`notebook loop (in-process, Haar on every frame, one predict per face, ${backend}, model ${classifier.version}): ${nb.frames} frames, ${round(nb.fps)} frames/s (load ${before[0]} -> ${notebook.loadavg_after[0]})\n`);
    detector.dispose?.();
    classifier.dispose();
  }

  const fig = Object.fromEntries(variants.map((v) => [v.key, figures(v)])) as Record<string, ReturnType<typeof figures>>;
  const a = fig.detect_then_track;
  const b = fig.every_frame;
  const c = fig.face_api;
  const faceApiInProcess = c.in_run_fps;
  const ratios = {
    detect_then_track_vs_every_frame_process: round(a.process_fps / b.process_fps),
    detect_then_track_vs_every_frame_in_run: round(a.in_run_fps / b.in_run_fps),
    detect_then_track_process_vs_face_api_process: round(a.process_fps / c.process_fps),
    detect_then_track_process_vs_face_api_in_process: round(a.process_fps / faceApiInProcess),
    every_frame_process_vs_face_api_process: round(b.process_fps / c.process_fps),
    ...(notebook ? { detect_then_track_process_vs_notebook_loop: round(a.process_fps / notebook.fps), every_frame_in_run_vs_notebook_loop: round(b.in_run_fps / notebook.fps) } : {}),
  };
  const goals = {
    process_fps_at_least_60: a.process_fps >= GOAL_FPS,
    at_least_3x_face_api_process: ratios.detect_then_track_process_vs_face_api_process >= GOAL_VS_FACE_API,
    at_least_3x_face_api_in_process: ratios.detect_then_track_process_vs_face_api_in_process >= GOAL_VS_FACE_API,
  };
  const loadEnd = load();
  process.stderr.write('summary (whole process, start-up included; medians):\n');
  for (const v of variants) {
    const f = fig[v.key];
    process.stderr.write(`  ${v.label}: ${f.process_fps} frames/s (${f.frames} frames in ${f.process_seconds} s, of which ${f.startup_and_exit_seconds} s start-up and exit); ${v.key === 'face_api' ? 'in-process' : 'in-run'} ${f.in_run_fps} frames/s; frames with faces ${f.frames_with_faces}/${f.frames}\n`);
  }
  if (notebook) process.stderr.write(`  notebook loop (in-process): ${notebook.fps} frames/s\n`);
  process.stderr.write(`  N=${every} vs every frame: ${ratios.detect_then_track_vs_every_frame_process}x whole process, ${ratios.detect_then_track_vs_every_frame_in_run}x in-run\n`);
  process.stderr.write(`  N=${every} (whole process) vs face-api: ${ratios.detect_then_track_process_vs_face_api_process}x its whole process, ${ratios.detect_then_track_process_vs_face_api_in_process}x its in-process figure\n`);
  process.stderr.write(`  goals: >= ${GOAL_FPS} frames/s whole process: ${goals.process_fps_at_least_60 ? 'met' : 'NOT met'} (${a.process_fps}); >= ${GOAL_VS_FACE_API}x face-api: ${goals.at_least_3x_face_api_process ? 'met' : 'NOT met'} vs its process, ${goals.at_least_3x_face_api_in_process ? 'met' : 'NOT met'} vs its in-process figure\n`);
  process.stderr.write(`  load average (1, 5, 15 min): start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'pipeline', clip: clip.name, every, repeat, measured: 'whole process from spawn to exit (start-up included), median of repeat runs; in_run_fps from the replay summary / face-api in-process',
    ...fig, face_api_in_process_fps: faceApiInProcess, face_api_detector: variants.find((v) => v.key === 'face_api')?.runs[0].json.detector ?? null,
    notebook_loop: notebook, ratios, goals, loadavg_start: loadStart, loadavg_end: loadEnd,
  })}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
