/**
 * bench:frame-encoding — what storing frames as JPEG on the bus costs and changes. For the first
 * `--frames` frames of every clip in ../shared/media/video (scaled to 640x480, as bench:bus plays
 * d6): bytes per frame raw vs JPEG at each `--quality` (a list; default: the config's
 * bus.jpegQuality; the first is the headline of the JSON line), encode
 * and decode ms per frame (OpenCV, as the bus does it: frame-codec.ts), and whether the pipeline's
 * answer survives: Haar detection (whole frame, every frame) and the shipped classifier on the raw
 * frame and on its JPEG round trip, faces matched by IoU >= 0.5. Reported: faces found on each,
 * faces found in both, the share of matched faces that keep their emotion label (the bar: 99%),
 * and the share keeping it when the JPEG frame is classified at the raw frame's boxes (the pixels'
 * effect alone, without detection jitter), and among faces whose raw label leads the runner-up
 * by at least 0.1 (decided faces: the rest flip on any change of pixels); for scale, the share of raw faces that keep their
 * label when their box moves 1 px (the classifier's own sensitivity). Then the label users act on:
 * each clip's frames (with their presentation times) go through the pipeline's track-emotions
 * stage with the default tracking config twice, once with the raw frames' faces and once with the
 * JPEG ones, and the share of matched faces whose tracks' stable labels agree is reported (labels
 * settle over a track's first frames: compare runs of the same `--frames`). Without ../shared it says so and measures bytes and
 * times on the demo clip only. Last stdout line: one JSON object.
 *   npm run bench:frame-encoding [-- --frames 100 --quality 90,95 --clips dir]
 */
import { parseArgs } from 'node:util';
import { firstValueFrom, from, toArray } from 'rxjs';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { loadPipelineConfig } from '../config/load.ts';
import { busSchema, trackingSchema } from '../config/schema.ts';
import { loadFaceDetector } from '../pipeline/detectors/load-face-detector.ts';
import { loadEmotionClassifier } from '../pipeline/classifiers/load-emotion-classifier.ts';
import { cropFaces } from '../pipeline/classifiers/face-crops.ts';
import { iou } from '../pipeline/detectors/box-iou.ts';
import { decodeFrame, encodeFrame } from '../pipeline/frames/frame-codec.ts';
import type { BgrFrame } from '../pipeline/frames/bgr-image.ts';
import type { BoxPx, ClassificationsMsg, ClassifiedFace, Emotion, EmotionScores, PipelineMsg } from '../pipeline/messages.ts';
import { buildDemoClip } from '../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../pipeline/sources/probe-video.ts';
import { trackEmotions } from '../pipeline/stages/track-emotions.ts';
import { firstFrames } from './clip-frames.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '100' }, quality: { type: 'string' }, clips: { type: 'string' } } });
const FRAMES = Number(values.frames);
/** Qualities compared, the first being the headline (default: the config's bus.jpegQuality). */
const QUALITIES = (values.quality ?? String(busSchema.parse({}).jpegQuality)).split(',').map((q) => Number(q.trim()));
if (!Number.isInteger(FRAMES) || FRAMES < 1) throw new Error(`--frames must be a positive integer, got ${values.frames}`);
if (QUALITIES.some((q) => !Number.isInteger(q) || q < 1 || q > 100)) throw new Error(`--quality must list integers 1-100, got ${values.quality}`);
const SIZE = { width: 640, height: 480 };
const MATCH_IOU = 0.5;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const log = (line: string) => process.stderr.write(`${line}\n`);

const label = (scores: EmotionScores) => Object.entries(scores).reduce((a, b) => (b[1] > a[1] ? b : a))[0] as Emotion;
/** How far the top emotion leads the second (0..1): a face near 0 flips on any change of its pixels. */
const margin = (scores: EmotionScores) => { const [a, b] = Object.values(scores).sort((x, y) => y - x); return a - b; };
/** Faces whose raw label leads by at least this much are "decided": their agreement is reported apart. */
const DECIDED_MARGIN = 0.1;

/** Pairs of (raw, jpeg) face indices, highest IoU first, each face used once. */
function matchFaces(raw: BoxPx[], jpeg: BoxPx[]): Array<[number, number]> {
  const pairs = raw.flatMap((a, i) => jpeg.map((b, j) => ({ i, j, o: iou(a, b) }))).filter((p) => p.o >= MATCH_IOU).sort((p, q) => q.o - p.o);
  const usedRaw = new Set<number>();
  const usedJpeg = new Set<number>();
  const out: Array<[number, number]> = [];
  for (const { i, j } of pairs) {
    if (usedRaw.has(i) || usedJpeg.has(j)) continue;
    usedRaw.add(i);
    usedJpeg.add(j);
    out.push([i, j]);
  }
  return out;
}

/** The tracker the pipeline runs (track-emotions, default tracking config: re-identification off). */
const TRACKING = trackingSchema.parse({});

/** A frame's faces as classify-emotion hands them on. */
const classified = (boxes: BoxPx[], scores: EmotionScores[]): ClassifiedFace[] =>
  boxes.map((boxPx, i) => { const l = label(scores[i]); return { boxPx, label: l, confidence: scores[i][l], scores: scores[i] }; });

/** One clip's frames through track-emotions, in order, at presentation times `ptsMs`: each frame's faces (same order) with their `stable` labels, and how many emotion-change events it gave. */
async function track(frames: ClassifiedFace[][], ptsMs: (seq: number) => number, fps: number): Promise<{ faces: ClassifiedFace[][]; emotionChanges: number }> {
  const cameraId = 'bench';
  const meta = (seq: number) => ({ cameraId, seq, ptsMs: ptsMs(seq), capturedAt: 0, ...SIZE, frameKey: `bench:${seq}` });
  const msgs: PipelineMsg[] = [
    { kind: 'stream-start', v: 1, cameraId, source: 'bench', ...SIZE, fps, startedAt: 0 },
    ...frames.map((faces, seq): ClassificationsMsg => ({ kind: 'classifications', v: 1, meta: meta(seq), faces, modelVersion: 'bench', timings: {} })),
    { kind: 'stream-end', v: 1, cameraId, frames: frames.length, reason: 'eof', endedAt: 0 },
  ];
  const out = (await firstValueFrom(from(msgs).pipe(trackEmotions({ config: TRACKING }), toArray()))).filter((m): m is ClassificationsMsg => m.kind === 'classifications');
  return { faces: out.map((m) => m.faces), emotionChanges: out.reduce((n, m) => n + (m.trackEvents ?? []).filter((e) => e.type === 'emotion-change').length, 0) };
}

const totals = () => ({ frames: 0, jpegBytes: 0, encodeMs: 0, decodeMs: 0, facesRaw: 0, facesJpeg: 0, facesBoth: 0, sameLabel: 0, sameLabelAtRawBoxes: 0, decidedBoth: 0, decidedSame: 0, stableSame: 0, emotionChangesRaw: 0, emotionChangesJpeg: 0 });
type Totals = ReturnType<typeof totals>;
const add = (into: Totals, t: Totals) => { for (const k of Object.keys(t) as Array<keyof Totals>) into[k] += t[k]; };
const share = (n: number, of: number) => (of === 0 ? null : round(n / of, 4));

const workDir = mkdtempSync(join(tmpdir(), 'es-bench-frame-encoding-'));
try {
  const dir = values.clips ? resolve(values.clips) : resolve(import.meta.dirname, '..', '..', 'shared', 'media', 'video');
  const shared = existsSync(dir);
  let clips: string[];
  if (shared) {
    clips = readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((f) => join(dir, f));
    if (clips.length === 0) throw new Error(`no .mp4 clips in ${dir}`);
  } else {
    log(`${dir} not found: label agreement is measured on the demo clip only (package-shipped photos), not on the ../shared clips`);
    clips = [await buildDemoClip({ outPath: join(workDir, 'demo.mp4'), ...SIZE, fps: 15, secondsPerPhoto: 2 })];
  }
  const config = loadPipelineConfig({ overrides: { source: { type: 'file', path: clips[0] } } });
  // Whole-frame search on every frame: detect-then-track would carry state from frame to frame.
  const detector = await loadFaceDetector({ ...config.detector, fullDetectEvery: 1, liveFullDetectEvery: 1 });
  const { classifier, backend } = await loadEmotionClassifier(config.classifier);
  const scoresOf = (frame: BgrFrame, boxes: BoxPx[]) => (boxes.length === 0 ? [] : classifier.classify(cropFaces(frame, boxes, classifier.inputSize), boxes.length));
  const classify = (frame: BgrFrame, boxes: BoxPx[]) => scoresOf(frame, boxes).map(label);
  log(`${clips.length} clip(s), first ${FRAMES} frames each at 640x480; JPEG quality ${QUALITIES.join(', ')}; model ${classifier.version} on ${backend}; load ${loadavg().map((x) => round(x)).join(' ')}`);

  // One untimed round trip first: OpenCV's JPEG codec initialises on first use.
  decodeFrame(encodeFrame({ pixels: Buffer.alloc(SIZE.width * SIZE.height * 3, 128), ...SIZE }, { format: 'jpeg', quality: QUALITIES[0] }), 'warm-up');
  const all = QUALITIES.map(() => totals());
  const perClip: Array<{ clip: string; t: Totals[] }> = [];
  let rawBytes = 0;
  // The classifier's own sensitivity, for scale: raw frames classified at boxes moved 1 px right.
  const shifted = { faces: 0, sameLabel: 0 };
  for (const path of clips) {
    const t = QUALITIES.map(() => totals());
    // Kept for the tracker runs after the clip: each frame's faces, raw and per quality, and which are the same face.
    const rawFaces: ClassifiedFace[][] = [];
    const jpegFaces = QUALITIES.map((): ClassifiedFace[][] => []);
    const matched = QUALITIES.map((): Array<Array<[number, number]>> => []);
    for (const frame of await firstFrames(path, FRAMES, SIZE)) {
      rawBytes += encodeFrame(frame, { format: 'raw' }).length;
      const rawBoxes = await detector.detect(frame);
      const rawScores = scoresOf(frame, rawBoxes);
      const rawLabels = rawScores.map(label);
      rawFaces.push(classified(rawBoxes, rawScores));
      const moved = classify(frame, rawBoxes.map((b) => ({ ...b, x: Math.min(b.x + 1, SIZE.width - b.width) })));
      shifted.faces += rawBoxes.length;
      shifted.sameLabel += rawLabels.filter((l, i) => l === moved[i]).length;
      for (const [k, quality] of QUALITIES.entries()) {
        const q = t[k];
        let t0 = performance.now();
        const encoded = encodeFrame(frame, { format: 'jpeg', quality });
        q.encodeMs += performance.now() - t0;
        t0 = performance.now();
        const jpeg = decodeFrame(encoded, 'bench');
        q.decodeMs += performance.now() - t0;
        q.frames += 1;
        q.jpegBytes += encoded.length;
        const jpegBoxes = await detector.detect(jpeg);
        const jpegScores = scoresOf(jpeg, jpegBoxes);
        const jpegLabels = jpegScores.map(label);
        const atRawBoxes = classify(jpeg, rawBoxes);
        const pairs = matchFaces(rawBoxes, jpegBoxes);
        jpegFaces[k].push(classified(jpegBoxes, jpegScores));
        matched[k].push(pairs);
        q.facesRaw += rawBoxes.length;
        q.facesJpeg += jpegBoxes.length;
        q.facesBoth += pairs.length;
        q.sameLabel += pairs.filter(([i, j]) => rawLabels[i] === jpegLabels[j]).length;
        q.sameLabelAtRawBoxes += rawLabels.filter((l, i) => l === atRawBoxes[i]).length;
        const decided = pairs.filter(([i]) => margin(rawScores[i]) >= DECIDED_MARGIN);
        q.decidedBoth += decided.length;
        q.decidedSame += decided.filter(([i, j]) => rawLabels[i] === jpegLabels[j]).length;
      }
    }
    // Presentation times as capture stamps them for a constant-rate file: seq / fps.
    const { fps } = await probeVideo({ type: 'file', path });
    const ptsMs = (seq: number) => (seq * 1000) / fps;
    const rawTracked = await track(rawFaces, ptsMs, fps);
    for (const [k, q] of t.entries()) {
      const jpegTracked = await track(jpegFaces[k], ptsMs, fps);
      q.emotionChangesRaw += rawTracked.emotionChanges;
      q.emotionChangesJpeg += jpegTracked.emotionChanges;
      matched[k].forEach((pairs, seq) => {
        q.stableSame += pairs.filter(([i, j]) => rawTracked.faces[seq][i].stable!.label === jpegTracked.faces[seq][j].stable!.label).length;
      });
    }
    t.forEach((q, k) => add(all[k], q));
    const name = path.split('/').pop()!;
    perClip.push({ clip: name, t });
    log(`${name}: ${t[0].frames} frames, ${t[0].facesRaw} faces raw; ${QUALITIES.map((quality, k) => `q${quality}: ${t[k].facesJpeg} faces, ${t[k].facesBoth} in both, same label ${t[k].sameLabel}, at raw boxes ${t[k].sameLabelAtRawBoxes}/${t[k].facesRaw}, same stable label ${t[k].stableSame}, emotion changes ${t[k].emotionChangesRaw} raw / ${t[k].emotionChangesJpeg} JPEG`).join('; ')}`);
  }
  detector.dispose?.();
  classifier.dispose();

  const frames = all[0].frames;
  const byQuality = QUALITIES.map((quality, k) => {
    const q = all[k];
    return {
      jpeg_quality: quality, jpeg_bytes_per_frame: Math.round(q.jpegBytes / frames), jpeg_vs_raw_bytes: round(q.jpegBytes / rawBytes, 4),
      encode_ms_per_frame: round(q.encodeMs / frames), decode_ms_per_frame: round(q.decodeMs / frames),
      faces_raw: q.facesRaw, faces_jpeg: q.facesJpeg, faces_both: q.facesBoth,
      same_label_share: share(q.sameLabel, q.facesBoth), same_label_at_raw_boxes_share: share(q.sameLabelAtRawBoxes, q.facesRaw),
      decided_faces_both: q.decidedBoth, decided_same_label_share: share(q.decidedSame, q.decidedBoth),
      min_clip_same_label_share: Math.min(...perClip.filter((c) => c.t[k].facesBoth > 0).map((c) => round(c.t[k].sameLabel / c.t[k].facesBoth, 4))),
      same_stable_label_share: share(q.stableSame, q.facesBoth),
      min_clip_same_stable_label_share: Math.min(...perClip.filter((c) => c.t[k].facesBoth > 0).map((c) => round(c.t[k].stableSame / c.t[k].facesBoth, 4))),
      emotion_changes_raw: q.emotionChangesRaw, emotion_changes_jpeg: q.emotionChangesJpeg,
      meets_99_percent: q.facesBoth > 0 && q.sameLabel / q.facesBoth >= 0.99,
    };
  });
  for (const q of byQuality) {
    log(`JPEG q${q.jpeg_quality}: ${q.jpeg_bytes_per_frame} bytes per frame (${round(100 * q.jpeg_vs_raw_bytes)}% of raw ${Math.round(rawBytes / frames)}); encode ${q.encode_ms_per_frame} ms, decode ${q.decode_ms_per_frame} ms per frame; faces raw ${q.faces_raw}, JPEG ${q.faces_jpeg}, in both ${q.faces_both}; same label ${q.same_label_share} (at the raw boxes ${q.same_label_at_raw_boxes_share}; faces whose raw label leads by >= ${DECIDED_MARGIN}: ${q.decided_same_label_share} of ${q.decided_faces_both}); same tracker stable label ${q.same_stable_label_share} (worst clip ${q.min_clip_same_stable_label_share}; ${FRAMES} frames per clip), emotion-change events ${q.emotion_changes_raw} raw vs ${q.emotion_changes_jpeg} JPEG`);
  }
  log(`raw frames, boxes moved 1 px: same label ${shifted.sameLabel}/${shifted.faces} (${share(shifted.sameLabel, shifted.faces)})`);
  const summary = {
    bench: 'frame-encoding', clips: shared ? clips.length : 0, source: shared ? dir : 'demo clip (../shared absent)', shared_present: shared,
    frames_per_clip: FRAMES, frames, size: '640x480', backend, load: loadavg().map((x) => round(x)),
    raw_bytes_per_frame: Math.round(rawBytes / frames), ...byQuality[0], qualities: byQuality,
    raw_same_label_boxes_moved_1px_share: share(shifted.sameLabel, shifted.faces),
    tracking: { stage: 'track-emotions', config: 'tracking defaults (config/schema.ts)', frames_per_clip: FRAMES, time_constant_ms: TRACKING.smoothing.timeConstantMs, switch_margin: TRACKING.smoothing.switchMargin, min_dwell_ms: TRACKING.smoothing.minDwellMs },
    per_clip: perClip.map((c) => ({ clip: c.clip, frames: c.t[0].frames, faces_raw: c.t[0].facesRaw, ...Object.fromEntries(QUALITIES.map((quality, k) => [`q${quality}`, { faces_jpeg: c.t[k].facesJpeg, faces_both: c.t[k].facesBoth, same_label: c.t[k].sameLabel, same_stable_label: c.t[k].stableSame }])) })),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
