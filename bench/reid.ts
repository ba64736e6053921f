/**
 * bench:reid — can face embeddings tell people apart on real video? For every
 * ../shared/media/video clip (one person each), 12 frames spread over the clip, scaled so the
 * longer side is at most 640 px, the largest Haar face of each is embedded with mobilefacenet and
 * faceres. Same person: two frames of one clip at least 1 s apart. Different people: frames of
 * two clips. Prints both similarity distributions, the threshold that best separates them
 * (highest balanced accuracy) and what it accepts, and ms per face. Last line: one JSON object.
 *
 *   npm run bench:reid [-- --frames 12]
 *
 * Needs ../shared (prints that it is absent and a JSON line with "skipped" otherwise).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadHaarCascadeDetector } from '../pipeline/detectors/haar-cascade-detector.ts';
import type { BgrFrame } from '../pipeline/frames/bgr-image.ts';
import type { BoxPx } from '../pipeline/messages.ts';
import { ffmpegBinary } from '../pipeline/sources/ffmpeg-binary.ts';
import { FfmpegDecoder, type DecoderExit } from '../pipeline/sources/ffmpeg-decoder.ts';
import { probeVideo } from '../pipeline/sources/probe-video.ts';
import { loadFaceEmbedder, type FaceEmbedderModel } from '../pipeline/tracking/face-embedder.ts';
import { cosineSimilarity } from '../pipeline/tracking/cosine-similarity.ts';

const { values } = parseArgs({ options: { frames: { type: 'string' } } });
const FRAMES_PER_CLIP = Number(values.frames ?? 12);
const MIN_GAP_S = 1;
const MAX_SIDE = 640;
const MODELS: FaceEmbedderModel[] = ['mobilefacenet', 'faceres'];
/**
 * Clips that show the same person, whose cross pairs are left out. ../shared/README.md says only
 * "one expressive face each"; looking at frames of all 12 clips (d0, d3, d6, d9-d14, d18-d20) shows
 * 12 different people (d18 and d19 share a studio and a gray backdrop but not a face): none.
 */
const SAME_PERSON: string[][] = [];

const log = (line: string) => process.stdout.write(`${line}\n`);
const videoDir = resolve(import.meta.dirname, '..', '..', 'shared', 'media', 'video');
if (!existsSync(videoDir)) {
  log(`../shared not found (${videoDir}): bench:reid needs its clips, skipped`);
  log(JSON.stringify({ bench: 'reid', skipped: true, reason: `${videoDir} not found` }));
  process.exit(0);
}
const clips = readdirSync(videoDir).filter((f) => /^d\d+\.mp4$/.test(f)).map((f) => f.slice(0, -4)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

interface Sample { clip: string; timeS: number; frame: BgrFrame; face: BoxPx }

/** `count` frames spread evenly over the clip (decoded as capture decodes them), with their presentation times. */
async function sampleFrames(clip: string, count: number): Promise<Array<{ timeS: number; frame: BgrFrame }>> {
  const path = join(videoDir, `${clip}.mp4`);
  const info = await probeVideo({ type: 'file', path });
  const k = Math.min(1, MAX_SIDE / Math.max(info.width, info.height));
  const size = { width: Math.round(info.width * k), height: Math.round(info.height * k) };
  const total = info.frameCount ?? Math.round(((info.durationMs ?? 0) / 1000) * info.fps);
  const wanted = new Set(Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * total) / count)));
  const kept: Array<{ timeS: number; frame: BgrFrame }> = [];
  let index = 0;
  const exit = await new Promise<DecoderExit>((done, fail) => {
    const decoder = new FfmpegDecoder({
      source: { type: 'file', path }, ...size, fps: info.fps, binary: ffmpegBinary('ffmpeg'),
      onFrame: ({ pixels, ptsMs }) => { if (wanted.has(index++)) kept.push({ timeS: ptsMs / 1000, frame: { pixels, ...size } }); },
      onExit: done,
    });
    decoder.start().catch(fail);
  });
  if (exit.error || exit.code !== 0) throw new Error(`ffmpeg could not decode ${path}: ${exit.error ?? `exit ${exit.code}`}`);
  return kept;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const round = (x: number, digits = 6) => Number(x.toFixed(digits));

/** The threshold (accept when similarity >= t) with the highest balanced accuracy, and the shares it accepts. */
function bestThreshold(same: number[], diff: number[]) {
  const candidates = [...new Set([...same, ...diff])].sort((a, b) => a - b);
  let best = { threshold: candidates[0], sameAccepted: 1, diffAccepted: 1, balancedAccuracy: 0.5 };
  for (let i = 0; i < candidates.length; i++) {
    const t = i === 0 ? candidates[0] : (candidates[i - 1] + candidates[i]) / 2;
    const sameAccepted = same.filter((s) => s >= t).length / same.length;
    const diffAccepted = diff.filter((s) => s >= t).length / diff.length;
    const balancedAccuracy = (sameAccepted + 1 - diffAccepted) / 2;
    if (balancedAccuracy > best.balancedAccuracy) best = { threshold: t, sameAccepted, diffAccepted, balancedAccuracy };
  }
  return best;
}

const detector = await loadHaarCascadeDetector();
const samples: Sample[] = [];
log(`bench:reid — ${clips.length} clips in ${videoDir}, ${FRAMES_PER_CLIP} frames each (longer side <= ${MAX_SIDE} px), largest Haar face per frame`);
for (const clip of clips) {
  const frames = await sampleFrames(clip, FRAMES_PER_CLIP);
  let found = 0;
  for (const { timeS, frame } of frames) {
    const faces = await detector.detect(frame);
    const face = faces.reduce<BoxPx | undefined>((a, b) => (!a || b.width * b.height > a.width * a.height ? b : a), undefined);
    if (!face) continue;
    samples.push({ clip, timeS, frame, face });
    found++;
  }
  log(`  ${clip}: ${frames.length} frames sampled, ${found} with a face (${frames[0]?.frame.width}x${frames[0]?.frame.height})`);
}
detector.dispose?.();

const samePerson = (a: string, b: string) => a === b || SAME_PERSON.some((group) => group.includes(a) && group.includes(b));
const results: Record<string, unknown> = {};
for (const model of MODELS) {
  const embedder = await loadFaceEmbedder(model);
  const ms: number[] = [];
  const embeddings: Float32Array[] = [];
  for (const s of samples) {
    const t0 = performance.now();
    embeddings.push((await embedder.embed(s.frame, [s.face]))[0]);
    ms.push(performance.now() - t0);
  }
  embedder.dispose?.();
  const same: number[] = [];
  const diff: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const [a, b] = [samples[i], samples[j]];
      const sim = cosineSimilarity(embeddings[i], embeddings[j]);
      if (a.clip === b.clip) { if (Math.abs(a.timeS - b.timeS) >= MIN_GAP_S) same.push(sim); }
      else if (!samePerson(a.clip, b.clip)) diff.push(sim);
    }
  }
  same.sort((a, b) => a - b);
  diff.sort((a, b) => a - b);
  const best = bestThreshold(same, diff);
  const r = {
    dimensions: embedder.dimensions,
    faces: samples.length,
    samePairs: same.length,
    diffPairs: diff.length,
    same: { min: round(same[0]), p5: round(quantile(same, 0.05)), median: round(quantile(same, 0.5)) },
    diff: { p95: round(quantile(diff, 0.95)), p99: round(quantile(diff, 0.99)), max: round(diff[diff.length - 1]) },
    threshold: round(best.threshold),
    sameAccepted: round(best.sameAccepted, 4),
    diffAccepted: round(best.diffAccepted, 4),
    msPerFace: round(median(ms), 1),
  };
  results[model] = r;
  log(`\n${model} (${r.dimensions} dims, ${r.faces} faces, ${r.samePairs} same-person pairs >= ${MIN_GAP_S} s apart, ${r.diffPairs} different-person pairs)`);
  log(`  same person       min ${r.same.min.toFixed(6)}  p5 ${r.same.p5.toFixed(6)}  median ${r.same.median.toFixed(6)}`);
  log(`  different people  p95 ${r.diff.p95.toFixed(6)}  p99 ${r.diff.p99.toFixed(6)}  max ${r.diff.max.toFixed(6)}`);
  log(`  best threshold ${r.threshold.toFixed(6)}: accepts ${(100 * r.sameAccepted).toFixed(1)}% of same-person pairs, ${(100 * r.diffAccepted).toFixed(2)}% of different-person pairs`);
  log(`  ${r.msPerFace} ms per face (median, one face per call)`);
}
log(JSON.stringify({ bench: 'reid', clips, framesPerClip: FRAMES_PER_CLIP, minGapS: MIN_GAP_S, excludedSamePersonGroups: SAME_PERSON, models: results }));
