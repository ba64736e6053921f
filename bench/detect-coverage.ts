/**
 * detect-coverage — does detect-then-track keep detection coverage? For every clip in
 * ../shared/media/video/*.mp4 (frames scaled to 640 px wide at most, by capture's resize), the
 * embedded pipeline replays it with whole-frame detection on every frame (`fullDetectEvery: 1`,
 * today's replay default) and with detect-then-track at each N of `--every` (default 5,10,15),
 * all in the same run. Per clip and overall: frames with faces for each N, the relative difference
 * to every-frame detection, tracks (people) and frames/s inside the run (start-up excluded).
 * The recommended N is the largest whose frames with faces stay within `--tolerance` (default 2%)
 * of every-frame detection on every clip (also given: the largest that does so overall).
 * Without ../shared: the demo clip built from package-shipped photos (640x480).
 *
 * `--concurrency 2,1` also runs detect-then-track with other `detector.concurrency` values (frames
 * detected at once; default: the config's default only); each gets its own recommendation, the
 * first listed is the headline one. Every-frame detection runs once, at the config's default.
 * `--max-frames` stops each replay after about that many frames (for trying the script out; the
 * figures are then not the clips').
 * Last stdout line: one JSON object.
 *   npm run bench:detect-coverage [-- --every 5,10,15 --concurrency 2,1 --only d6,d9 --clips dir --max-frames 60 --tolerance 0.02]
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { loadPipelineConfig } from '../config/load.ts';
import { runPipeline } from '../pipeline/compose.ts';
import { loadFaceDetector } from '../pipeline/detectors/load-face-detector.ts';
import { loadEmotionClassifier } from '../pipeline/classifiers/load-emotion-classifier.ts';
import { probeVideo } from '../pipeline/sources/probe-video.ts';
import { buildDemoClip } from '../pipeline/sources/demo-clip.ts';
import { createLogger } from '../pipeline/logger.ts';
import type { EmotionClassifier } from '../pipeline/classifiers/emotion-classifier.ts';

const { values } = parseArgs({
  options: {
    every: { type: 'string', default: '5,10,15' }, concurrency: { type: 'string' }, clips: { type: 'string' }, only: { type: 'string' },
    'max-frames': { type: 'string' }, tolerance: { type: 'string', default: '0.02' }, 'max-width': { type: 'string', default: '640' },
  },
});
const ints = (list: string, flag: string, min: number) => {
  const ns = [...new Set(list.split(',').map((s) => Number(s.trim())))];
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < min)) throw new Error(`--${flag} must list integers of at least ${min}, got "${list}"`);
  return ns;
};
const everyN = ints(values.every, 'every', 2).sort((a, b) => a - b);
const defaultConcurrency = loadPipelineConfig({ overrides: { source: { type: 'file', path: 'x.mp4' } } }).detector.concurrency;
const concurrencies = values.concurrency ? ints(values.concurrency, 'concurrency', 1) : [defaultConcurrency];
const tolerance = Number(values.tolerance);
const maxWidth = Number(values['max-width']);
const maxFrames = values['max-frames'] ? Number(values['max-frames']) : undefined;
const logger = createLogger({ name: 'detect-coverage', level: 'warn' });
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`);
const load = () => loadavg().map((x) => round(x));

/** Every-frame detection first (the reference), then each concurrency's detect-then-track N. */
const variants = [
  { every: 1, concurrency: defaultConcurrency },
  ...concurrencies.flatMap((concurrency) => everyN.map((every) => ({ every, concurrency }))),
].map((v) => ({ ...v, label: v.every === 1 ? 'N=1' : concurrencies.length > 1 || v.concurrency !== defaultConcurrency ? `N=${v.every} c${v.concurrency}` : `N=${v.every}` }));

interface Measured { frames: number; framesWithFaces: number; faces: number; people: number; wallSeconds: number; fps: number }
interface Variant extends Measured { every: number; concurrency: number; label: string; diff: number | null }
interface ClipResult { clip: string; width: number; height: number; scaledTo: string | null; variants: Variant[] }

/** The clips: ../shared/media/video/*.mp4 (or --clips), else the demo clip. */
async function clips(workDir: string): Promise<{ paths: string[]; from: string }> {
  const dir = values.clips ? resolve(values.clips) : resolve(import.meta.dirname, '..', '..', 'shared', 'media', 'video');
  if (existsSync(dir)) {
    const only = values.only?.split(',').map((s) => s.trim().replace(/\.mp4$/, ''));
    const names = readdirSync(dir).filter((f) => f.endsWith('.mp4') && (!only || only.includes(f.replace(/\.mp4$/, ''))));
    names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (names.length === 0) throw new Error(`no .mp4 clips in ${dir}${only ? ` named ${values.only}` : ''}`);
    return { paths: names.map((f) => join(dir, f)), from: values.clips ? dir : '../shared/media/video' };
  }
  const demo = await buildDemoClip({ outPath: join(workDir, 'demo.mp4'), width: 640, height: 480, fps: 15, secondsPerPhoto: 2 });
  return { paths: [demo], from: 'demo clip (../shared absent)' };
}

/** One replay of `path`, as `replay` runs it, with whole-frame search on every `every`-th frame. */
async function replay(path: string, resize: { width: number; height: number } | undefined, v: { every: number; concurrency: number }, classifier: EmotionClassifier): Promise<Measured> {
  const config = loadPipelineConfig({ overrides: { source: { type: 'file', path }, mode: 'replay', resize, detector: { fullDetectEvery: v.every, concurrency: v.concurrency } } });
  const detector = await loadFaceDetector(config.detector, logger, config.tracking);
  try {
    let seen = 0;
    const run = runPipeline(config, {
      detector, classifier, sinks: [], logger,
      onFrame: () => { if (maxFrames !== undefined && ++seen === maxFrames) run.stop(); },
    });
    const s = await run.done;
    if (s.end?.reason === 'error') process.stderr.write(`  warning: ${basename(path)} ended in error: ${s.end.error?.message}\n`);
    return { frames: s.frames, framesWithFaces: s.framesWithFaces, faces: s.faces, people: s.people.length, wallSeconds: s.wallSeconds, fps: s.fps };
  } finally {
    detector.dispose?.();
  }
}

/** The largest N of `concurrency` for which `ok` holds, or null. */
function largestN(rows: Array<{ every: number; concurrency: number }>, concurrency: number, ok: (i: number) => boolean): number | null {
  let best: number | null = null;
  rows.forEach((r, i) => { if (r.every > 1 && r.concurrency === concurrency && ok(i)) best = Math.max(best ?? 0, r.every); });
  return best;
}

const workDir = mkdtempSync(join(tmpdir(), 'es-coverage-'));
try {
  const loadStart = load();
  const { paths, from } = await clips(workDir);
  const { classifier, backend } = await loadEmotionClassifier(loadPipelineConfig({ overrides: { source: { type: 'file', path: paths[0] } } }).classifier);
  process.stderr.write(`detect-coverage: ${paths.length} clips from ${from}, frames at most ${maxWidth} px wide; ${variants.map((v) => v.label).join(', ')} (N=1: every frame; detector.concurrency ${concurrencies.join(', ')}, config default ${defaultConcurrency}); model ${classifier.version} on ${backend}; load average ${loadStart.join(' ')}\n`);
  if (maxFrames !== undefined) process.stderr.write(`  --max-frames ${maxFrames}: each replay stops after about ${maxFrames} frames (not the whole clips)\n`);
  const results: ClipResult[] = [];
  for (const path of paths) {
    const info = await probeVideo({ type: 'file', path });
    // Scaled by capture (ffmpeg's scale filter on decode), keeping the aspect ratio, even height.
    const resize = info.width > maxWidth ? { width: maxWidth, height: Math.max(2, Math.round((info.height * maxWidth) / info.width / 2) * 2) } : undefined;
    const result: ClipResult = { clip: basename(path), width: info.width, height: info.height, scaledTo: resize ? `${resize.width}x${resize.height}` : null, variants: [] };
    for (const v of variants) {
      const r = await replay(path, resize, v, classifier);
      const base = result.variants[0];
      const diff = v.every === 1 ? 0 : base.framesWithFaces > 0 ? (r.framesWithFaces - base.framesWithFaces) / base.framesWithFaces : null;
      result.variants.push({ ...v, ...r, diff });
    }
    const size = resize ? `${info.width}x${info.height} -> ${resize.width}x${resize.height}` : `${info.width}x${info.height}`;
    process.stderr.write(`${result.clip.padEnd(9)} ${size}\n`);
    for (const v of result.variants) {
      process.stderr.write(`  ${v.label.padEnd(8)} frames with faces ${String(v.framesWithFaces).padStart(5)}/${v.frames}  ${v.every === 1 ? 'every frame   ' : `${pct(v.diff).padStart(7)} vs N=1`}  faces ${v.faces}  tracks ${v.people}  ${v.fps} frames/s\n`);
    }
    results.push(result);
  }

  // Overall: summed over clips; frames/s = all frames / all in-run seconds.
  const baseFwf = results.reduce((a, r) => a + r.variants[0].framesWithFaces, 0);
  const overall = variants.map((v, i) => {
    const vs = results.map((r) => r.variants[i]);
    const sum = (k: keyof Measured) => vs.reduce((a, x) => a + x[k], 0);
    const framesWithFaces = sum('framesWithFaces');
    const worst = vs.reduce((w, x) => (Math.abs(x.diff ?? Infinity) > Math.abs(w.diff ?? Infinity) ? x : w), vs[0]);
    return {
      ...v, frames: sum('frames'), framesWithFaces, faces: sum('faces'), people: sum('people'), wallSeconds: round(sum('wallSeconds')),
      fps: round(sum('frames') / Math.max(sum('wallSeconds'), 1e-6)),
      diff: baseFwf > 0 ? round((framesWithFaces - baseFwf) / baseFwf, 5) : null,
      everyClipWithinTolerance: vs.every((x) => x.diff !== null && Math.abs(x.diff) <= tolerance),
      noClipLowerByMoreThanTolerance: vs.every((x) => x.diff !== null && x.diff >= -tolerance),
      worstClip: results[vs.indexOf(worst)].clip, worstClipDiff: worst.diff === null ? null : round(worst.diff, 5),
    };
  });
  const baseFps = overall[0].fps;
  process.stderr.write(`overall (${results.length} clips)\n`);
  for (const o of overall) {
    const vs = o.every === 1 ? 'every frame' : `${pct(o.diff).padStart(7)} vs N=1; worst clip ${o.worstClip} ${pct(o.worstClipDiff)}; every clip within ${(tolerance * 100).toFixed(1)}%: ${o.everyClipWithinTolerance ? 'yes' : 'no'}`;
    process.stderr.write(`  ${o.label.padEnd(8)} frames with faces ${String(o.framesWithFaces).padStart(5)}/${o.frames}  ${vs}  ${o.fps} frames/s (${round(o.fps / baseFps)}x N=1)\n`);
  }
  const recommendations = concurrencies.map((c) => ({
    concurrency: c,
    every_clip_within: largestN(overall, c, (i) => overall[i].everyClipWithinTolerance),
    overall_within: largestN(overall, c, (i) => overall[i].diff !== null && Math.abs(overall[i].diff!) <= tolerance),
    no_clip_lower: largestN(overall, c, (i) => overall[i].noClipLowerByMoreThanTolerance),
  }));
  const tol = `${(tolerance * 100).toFixed(1)}%`;
  for (const r of recommendations) {
    process.stderr.write(`largest N, detector.concurrency ${r.concurrency}: every clip within ${tol}: ${r.every_clip_within ?? 'none'}; overall within ${tol}: ${r.overall_within ?? 'none'}; no clip more than ${tol} lower: ${r.no_clip_lower ?? 'none'}\n`);
  }
  const loadEnd = load();
  process.stderr.write(`load average (1, 5, 15 min): start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'detect-coverage', clips_from: from, max_width: maxWidth, max_frames: maxFrames ?? null, backend, model: classifier.version, tolerance,
    every: [1, ...everyN], concurrency: concurrencies, default_concurrency: defaultConcurrency,
    recommended_every: recommendations[0].every_clip_within, recommended_every_overall: recommendations[0].overall_within, recommendations,
    overall,
    clips: results.map((r) => ({ ...r, variants: r.variants.map((v) => ({ ...v, diff: v.diff === null ? null : round(v.diff, 5) })) })),
    loadavg_start: loadStart, loadavg_end: loadEnd,
  })}\n`);
  classifier.dispose();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
