/**
 * Clips bench:tracking builds at run time from real images (face-api's sample photos, FER2013
 * test faces), each with what is known about it frame by frame (where every face is), and the
 * ../shared talking-head clips scaled down. Frames are drawn with OpenCV and piped raw to ffmpeg
 * (H.264, 25 fps, constant rate: frame i of the clip is frame seq i of the pipeline).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import cv, { type Mat } from '../pipeline/opencv.ts';
import { runProcess } from '../pipeline/sources/run-process.ts';
import { ffmpegBinary } from '../pipeline/sources/ffmpeg-binary.ts';
import { faceApiSamplePhoto } from '../pipeline/sources/face-api-sample-photo.ts';
import { AnnotatedVideoWriter } from '../pipeline/sinks/annotated-video-writer.ts';
import type { BoxPx } from '../pipeline/messages.ts';
import { EMOTIONS, type Emotion } from '../pipeline/messages.ts';
import type { FaceDetector } from '../pipeline/detectors/face-detector.ts';

export const FPS = 25;
export type PhotoNo = 1 | 2 | 3 | 4 | 5 | 6;
export const PHOTOS: readonly PhotoNo[] = [1, 2, 3, 4, 5, 6];

/** Deterministic PRNG (mulberry32): the same seed gives the same clips on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Encodes `count` BGR24 frames (render(i) gives frame i) to an H.264 mp4 at FPS, constant rate, with the pipeline's own encoder. */
export async function encodeFrames(outPath: string, size: { width: number; height: number }, count: number, render: (i: number) => Buffer): Promise<void> {
  const writer = await AnnotatedVideoWriter.open({ outPath, ...size, fps: FPS, crf: 16 });
  try {
    for (let i = 0; i < count; i++) await writer.write(render(i));
  } finally {
    await writer.close();
  }
}

/** A frame-sized BGR canvas of one gray level. */
function canvas(width: number, height: number, gray: number): Mat {
  return new cv.Mat(height, width, cv.CV_8UC3, [gray, gray, gray]);
}

/** Copies `src` onto `dst` with its top-left corner at (x, y), clipped to `dst`. */
function paste(dst: Mat, src: Mat, x: number, y: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(dst.cols, x + src.cols);
  const y1 = Math.min(dst.rows, y + src.rows);
  if (x1 <= x0 || y1 <= y0) return;
  src.getRegion(new cv.Rect(x0 - x, y0 - y, x1 - x0, y1 - y0)).copyTo(dst.getRegion(new cv.Rect(x0, y0, x1 - x0, y1 - y0)));
}

// ---------------------------------------------------------------------------------------------
// 1. ../shared talking heads

/**
 * A ../shared clip scaled to fit 640 x 640 (so at most 640 px wide, as asked; the one portrait
 * clip, d13 at 720x1280, would otherwise stay 1138 px tall), even sides, optionally cut.
 */
export async function sharedClip(src: string, outPath: string, seconds?: number): Promise<void> {
  const cut = seconds ? ['-t', String(seconds)] : [];
  const vf = 'scale=w=min(640\\,iw):h=min(640\\,ih):force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2';
  const r = await runProcess(ffmpegBinary('ffmpeg'), ['-v', 'error', '-y', '-i', src, ...cut, '-vf', vf, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', outPath]);
  if (r.code !== 0) throw new Error(`cannot transcode ${src}: ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------------
// 2. Slow zoom and pan over each sample photo

export const PHOTO_CLIP = { width: 640, height: 480, seconds: 4, zoomFrom: 1, zoomTo: 0.9 } as const;

/** The photo fitted into the clip's frame (scale 1 of the pan): what the still-photo count is run on. */
export function fittedPhoto(n: PhotoNo): Mat {
  const photo = cv.imread(faceApiSamplePhoto(n));
  const k = Math.min(PHOTO_CLIP.width / photo.cols, PHOTO_CLIP.height / photo.rows);
  const fitted = photo.resize(Math.round(photo.rows * k), Math.round(photo.cols * k), 0, 0, cv.INTER_AREA);
  photo.release();
  return fitted;
}

/**
 * The photo fitted to the frame, zoomed out from 100% to 90% over the clip while it pans from
 * the left edge across the slack this opens (and centred vertically), on dark gray: every face
 * of the photo stays in view on every frame, so the number of people never changes.
 */
export async function photoPanClip(n: PhotoNo, outPath: string): Promise<{ frames: number }> {
  const { width, height, seconds, zoomFrom, zoomTo } = PHOTO_CLIP;
  const fitted = fittedPhoto(n);
  const frames = seconds * FPS;
  await encodeFrames(outPath, { width, height }, frames, (i) => {
    const t = i / (frames - 1);
    const s = zoomFrom + (zoomTo - zoomFrom) * t;
    const w = Math.round(fitted.cols * s);
    const h = Math.round(fitted.rows * s);
    const scaled = fitted.resize(h, w, 0, 0, cv.INTER_AREA);
    const frame = canvas(width, height, 40);
    paste(frame, scaled, Math.round((width - w) * t), Math.round((height - h) / 2));
    const data = frame.getData();
    scaled.release();
    frame.release();
    return data;
  });
  fitted.release();
  return { frames };
}

// ---------------------------------------------------------------------------------------------
// 3. Two real faces crossing

export const CROSS_CLIP = { width: 640, height: 480, seconds: 4, patch: 192, margin: 1.6, fromX: 100, toX: 540 } as const;

export interface CrossingTruth {
  /** Per frame, per face (0 = A, drawn on top; 1 = B): centre, face side, and whether it is visible (not mostly under A). */
  frames: { cx: number; cy: number; side: number; visible: boolean }[][];
  /** Where the faces were cut from. */
  sources: string[];
  /** Whole-frame faces the detector finds on the background alone (should be 0). */
  backgroundFaces: number;
}

/** The largest Haar face of a photo (full resolution): a square `margin` times its side, as a patch of `patch` px. */
async function facePatch(n: PhotoNo, detector: FaceDetector, patch: number, margin: number): Promise<{ mat: Mat; box: BoxPx }> {
  const photo = cv.imread(faceApiSamplePhoto(n));
  const boxes = await detector.detect({ pixels: photo.getData(), width: photo.cols, height: photo.rows });
  const box = boxes.reduce<BoxPx | undefined>((best, b) => (!best || b.width > best.width ? b : best), undefined);
  if (!box) throw new Error(`no face found on sample${n}.jpg`);
  const side = Math.min(Math.round(box.width * margin), photo.cols, photo.rows);
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max - side, v));
  const x = clamp(Math.round(box.x + box.width / 2 - side / 2), photo.cols);
  const y = clamp(Math.round(box.y + box.height / 2 - side / 2), photo.rows);
  const mat = photo.getRegion(new cv.Rect(x, y, side, side)).resize(patch, patch, 0, 0, cv.INTER_AREA);
  photo.release();
  return { mat, box };
}

/** A feathered ellipse (0..1 floats, 3 channels) the size of a patch: faces blend into the background. */
function featherMask(patch: number): Mat {
  const mask = new cv.Mat(patch, patch, cv.CV_32FC3, [0, 0, 0]);
  mask.drawEllipse(new cv.RotatedRect(new cv.Point2(patch / 2, patch / 2), new cv.Size(patch * 0.86, patch * 0.96), 0), new cv.Vec3(1, 1, 1), -1);
  const soft = mask.gaussianBlur(new cv.Size(21, 21), 8);
  mask.release();
  return soft;
}

/** dst region = patch * mask + dst * (1 - mask), at (x, y); the patch lies inside the frame. */
function blend(dst: Mat, patchF: Mat, mask: Mat, x: number, y: number): void {
  const rect = new cv.Rect(x, y, patchF.cols, patchF.rows);
  const region = dst.getRegion(rect);
  const bg = region.convertTo(cv.CV_32FC3);
  const inv = new cv.Mat(mask.rows, mask.cols, cv.CV_32FC3, [1, 1, 1]).sub(mask);
  const mixed = patchF.hMul(mask).add(bg.hMul(inv)).convertTo(cv.CV_8UC3);
  mixed.copyTo(region);
  for (const m of [bg, inv, mixed]) m.release();
}

/**
 * Face A (largest Haar face of sample3) moves right and face B (of sample4) left at constant
 * speed over a blurred real photo (sample2, blurred until no face is found on it), crossing at
 * the centre, 25 fps. `dy`: B's vertical offset from A (0 = the same line: B is wholly hidden
 * under A for a few frames; A is drawn on top). Face centres are known on every frame.
 */
export async function crossingClip(outPath: string, detector: FaceDetector, dy: number): Promise<CrossingTruth> {
  const { width, height, seconds, patch, margin, fromX, toX } = CROSS_CLIP;
  const bgPhoto = cv.imread(faceApiSamplePhoto(2));
  const bgFit = bgPhoto.resize(height, width, 0, 0, cv.INTER_AREA).gaussianBlur(new cv.Size(61, 61), 20);
  bgPhoto.release();
  const backgroundFaces = (await detector.detect({ pixels: bgFit.getData(), width, height })).length;
  const a = await facePatch(3, detector, patch, margin);
  const b = await facePatch(4, detector, patch, margin);
  const patches = [a.mat.convertTo(cv.CV_32FC3), b.mat.convertTo(cv.CV_32FC3)];
  const mask = featherMask(patch);
  const frames = seconds * FPS;
  const side = Math.round(patch / margin);
  const baseY = Math.round(height / 2 - dy / 2);
  const centres = (i: number) => {
    const t = i / (frames - 1);
    const ax = fromX + (toX - fromX) * t;
    return [{ cx: ax, cy: baseY }, { cx: fromX + toX - ax, cy: baseY + dy }];
  };
  const truth: CrossingTruth = { frames: [], sources: ['sample3.jpg (largest Haar face)', 'sample4.jpg (largest Haar face)'], backgroundFaces };
  for (let i = 0; i < frames; i++) {
    const [ca, cb] = centres(i);
    // B counts as visible while less than half its face box lies under A's opaque ellipse (about the patch's inner 80%).
    const cover = overlapFraction({ cx: cb.cx, cy: cb.cy, w: side, h: side }, { cx: ca.cx, cy: ca.cy, w: patch * 0.8, h: patch * 0.9 });
    truth.frames.push([{ ...ca, side, visible: true }, { ...cb, side, visible: cover < 0.5 }]);
  }
  await encodeFrames(outPath, { width, height }, frames, (i) => {
    const frame = bgFit.copy();
    const [ca, cb] = centres(i);
    blend(frame, patches[1], mask, Math.round(cb.cx - patch / 2), Math.round(cb.cy - patch / 2));
    blend(frame, patches[0], mask, Math.round(ca.cx - patch / 2), Math.round(ca.cy - patch / 2));
    const data = frame.getData();
    frame.release();
    return data;
  });
  for (const m of [bgFit, a.mat, b.mat, mask, ...patches]) m.release();
  return truth;
}

/** Share of box p's area that lies inside box q (boxes given by centre and size). */
function overlapFraction(p: { cx: number; cy: number; w: number; h: number }, q: { cx: number; cy: number; w: number; h: number }): number {
  const ix = Math.max(0, Math.min(p.cx + p.w / 2, q.cx + q.w / 2) - Math.max(p.cx - p.w / 2, q.cx - q.w / 2));
  const iy = Math.max(0, Math.min(p.cy + p.h / 2, q.cy + q.h / 2) - Math.max(p.cy - p.h / 2, q.cy - q.h / 2));
  return (ix * iy) / (p.w * p.h);
}

// ---------------------------------------------------------------------------------------------
// 5. FER2013 test faces, one after another

export const FER_CLIP = { width: 480, height: 360, side: 200, seed: 20261205, minHoldS: 1, maxHoldS: 2, driftPx: 4, zoom: 0.05, brightness: 0.15 } as const;

export interface FerFace {
  file: string;
  label: Emotion;
  /** First frame and number of frames it is on screen. */
  start: number;
  frames: number;
}

export interface FerTruth {
  faces: FerFace[];
  /** Per frame: which face (index into faces) and where it is drawn (its full 48x48 image, upscaled). */
  frames: { face: number; rect: BoxPx }[];
}

/**
 * `perClass` faces of each class drawn with a fixed seed from FER2013's test split, in a seeded
 * shuffled order, each held 1-2 s (seeded). The order and holds depend only on the seed, so both
 * layouts below show the same faces for the same time.
 */
export function pickFerFaces(root: string, perClass: number): FerFace[] {
  const random = seededRandom(FER_CLIP.seed);
  const picked = EMOTIONS.flatMap((label) => {
    const files = readdirSync(join(root, label)).filter((f) => f.endsWith('.jpg')).sort();
    return shuffle(files, random).slice(0, perClass).map((f) => ({ file: join(root, label, f), label }));
  });
  let start = 0;
  return shuffle(picked, random).map((p) => {
    const frames = Math.round((FER_CLIP.minHoldS + (FER_CLIP.maxHoldS - FER_CLIP.minHoldS) * random()) * FPS);
    const face = { ...p, start, frames };
    start += frames;
    return face;
  });
}

/**
 * The faces one after another, each upscaled from 48 to ~200 px on plain gray, with a few px of
 * drift, +-5% zoom and +-15% brightness varying smoothly frame to frame (seeded sines per face).
 * Layout `same-place`: every face at the frame centre (a new face replaces the last where it
 * was: the tracker keeps the track, as it would for one person whose expression changes
 * abruptly). Layout `alternating`: faces take turns left and right of centre, 20 px apart
 * at their nearest, so a face never overlaps the previous one's box and starts a new track
 * at once. Gaps of blank frames longer than tracking.maxMissedMs would do the same but add
 * over a second per face and frames with nothing to score; alternating places change nothing
 * else (same faces, holds, motion), so the two runs differ only in whether the track continues.
 */
export async function ferClip(outPath: string, faces: FerFace[], layout: 'same-place' | 'alternating'): Promise<FerTruth> {
  const { width, height, side, driftPx, zoom, brightness } = FER_CLIP;
  const random = seededRandom(FER_CLIP.seed + 1);
  const motion = faces.map(() => Array.from({ length: 8 }, () => random()));
  const images = faces.map((f) => cv.imread(f.file, cv.IMREAD_GRAYSCALE));
  const total = faces.reduce((n, f) => n + f.frames, 0);
  const truth: FerTruth = { faces, frames: [] };
  const owner: number[] = [];
  faces.forEach((f, k) => { for (let j = 0; j < f.frames; j++) owner.push(k); });
  const gap = 20;
  const centreX = (k: number) => layout === 'same-place' ? width / 2 : width / 2 + (k % 2 === 0 ? -1 : 1) * (side / 2 + gap / 2 + zoom * side / 2 + driftPx);
  const wave = (m: number[], o: number, j: number) => Math.sin((2 * Math.PI * j) / (18 + 30 * m[o]) + 2 * Math.PI * m[o + 1]);
  for (let i = 0; i < total; i++) {
    const k = owner[i];
    const j = i - faces[k].start;
    const m = motion[k];
    const s = Math.round(side * (1 + zoom * wave(m, 0, j)));
    const cx = centreX(k) + driftPx * wave(m, 2, j);
    const cy = height / 2 + driftPx * wave(m, 4, j);
    truth.frames.push({ face: k, rect: { x: Math.round(cx - s / 2), y: Math.round(cy - s / 2), width: s, height: s } });
  }
  await encodeFrames(outPath, { width, height }, total, (i) => {
    const { face: k, rect } = truth.frames[i];
    const j = i - faces[k].start;
    const gain = 1 + brightness * wave(motion[k], 6, j);
    const up = images[k].resize(rect.height, rect.width, 0, 0, cv.INTER_CUBIC);
    const lit = up.convertTo(cv.CV_8U, gain, 0);
    const bgr = lit.cvtColor(cv.COLOR_GRAY2BGR);
    const frame = canvas(width, height, 110);
    paste(frame, bgr, rect.x, rect.y);
    const data = frame.getData();
    for (const mat of [up, lit, bgr, frame]) mat.release();
    return data;
  });
  for (const mat of images) mat.release();
  return truth;
}
