import { map } from 'rxjs';
import cv, { type Mat } from '../opencv.ts';
import { stageFault } from '../stage-fault.ts';
import { bgrMat, type BgrFrame } from '../frames/bgr-image.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { BoxPx, ClassificationsMsg, ClassifiedFace, Emotion, PipelineMsg, StableEmotion } from '../messages.ts';
import type { Stage } from '../stage.ts';
import { placeCaptions, type FrameSize } from './caption-layout.ts';

export interface AnnotateDeps {
  frameStore: FrameStore;
  logger?: Logger;
  /**
   * Whether a frame's stream wants it drawn (default: every frame). A sinks worker serves
   * streams with and without an annotated video; frames of the others pass untouched.
   */
  drawn?: (msg: ClassificationsMsg) => boolean;
}

/** A colour as OpenCV draws it: blue, green, red, 0..255. */
export type Bgr = readonly [blue: number, green: number, red: number];

const STAGE = 'annotate';
const GREEN: Bgr = [0, 255, 0];
const WHITE = new cv.Vec3(255, 255, 255);
const BLACK = new cv.Vec3(0, 0, 0);
const FONT = cv.FONT_HERSHEY_SIMPLEX;

/**
 * Track colours (BGR): saturated, far from each other and from the untracked green, ordered so
 * that consecutive ids (people who appeared together) get contrasting ones.
 */
const TRACK_PALETTE: readonly Bgr[] = [
  [75, 25, 230], // red
  [200, 130, 0], // blue
  [25, 225, 255], // yellow
  [230, 50, 240], // magenta
  [240, 240, 70], // cyan
  [48, 130, 245], // orange
  [180, 30, 145], // purple
  [212, 190, 250], // pink
];

/**
 * A face's caption as the seed notebook writes it: `Happy (93.1%)`.
 * @param confidence probability of `label`, 0..1.
 */
export function formatFaceLabel(label: Emotion, confidence: number): string {
  return `${label.charAt(0).toUpperCase()}${label.slice(1)} (${(confidence * 100).toFixed(1)}%)`;
}

/** A tracked face's caption: its id and the track's smoothed emotion, `#3 Happy (93.1%)`. */
export function formatTrackLabel(trackId: number, stable: StableEmotion): string {
  return `#${trackId} ${formatFaceLabel(stable.label, stable.confidence)}`;
}

/** What a viewer reads next to a face: the track caption when it is tracked, else the frame's own label. */
export function captionText(face: ClassifiedFace): string {
  return face.trackId !== undefined && face.stable ? formatTrackLabel(face.trackId, face.stable) : formatFaceLabel(face.label, face.confidence);
}

/**
 * The box colour of a face: one fixed palette entry per track id, so a person keeps their colour
 * across frames; the notebook's green without a track. Ids past the palette's length reuse it.
 */
export function trackColor(trackId: number | undefined): Bgr {
  if (trackId === undefined) return GREEN;
  const n = TRACK_PALETTE.length;
  return TRACK_PALETTE[((Math.trunc(trackId) % n) + n) % n];
}

/**
 * The annotate stage: for each `classifications` message, draws into the stored frame (in place)
 * a box per face (2 px up to 640x480, thicker on larger frames; green, or the track's colour from
 * `trackColor`) and its white caption (`captionText`) above the box, just inside its top when
 * there is no room above, or wherever `placeCaptions` finds room so that captions never overlap
 * (joined to the box by a line in the box's colour when moved away); then sets `annotated: true` and
 * `timings.annotate` (ms). Other kinds, and messages that already carry a fault, pass through
 * unchanged. A missing frame (ERR_FRAME_MISSING) or a drawing failure (ERR_ANNOTATE) becomes a
 * `fault` on the message; the stream never errors.
 */
export const annotate: Stage<AnnotateDeps> = (deps) => {
  const logger = (deps.logger ?? silentLogger()).child({ stage: STAGE });
  return map((msg: PipelineMsg): PipelineMsg => (msg.kind === 'classifications' ? annotateFrame(msg, deps, logger) : msg));
};

function annotateFrame(msg: ClassificationsMsg, deps: AnnotateDeps, logger: Logger): ClassificationsMsg {
  if (msg.fault || msg.annotated || (deps.drawn && !deps.drawn(msg))) return msg;
  const { meta } = msg;
  const started = performance.now();
  try {
    if (msg.faces.length > 0) {
      const pixels = deps.frameStore.get(meta.frameKey);
      drawFaces({ pixels, width: meta.width, height: meta.height }, msg.faces);
      // A no-op for the in-memory store (same Buffer); a store that hands out copies needs it back.
      deps.frameStore.put(meta.frameKey, pixels);
    }
    return { ...msg, annotated: true, timings: { ...msg.timings, annotate: performance.now() - started } };
  } catch (err) {
    const fault = stageFault(STAGE, err, 'ERR_ANNOTATE');
    logger.warn({ camera: meta.cameraId, frame: meta.seq, code: fault.code, err }, 'annotation fault');
    return { ...msg, timings: { ...msg.timings, annotate: performance.now() - started }, fault };
  }
}

/** Draws boxes and captions straight into `frame.pixels`. */
function drawFaces(frame: BgrFrame, faces: readonly ClassifiedFace[]): void {
  const image = bgrMat(frame);
  const style = captionStyle(frame);
  const captions = placeFaceCaptions(faces, frame, style);
  faces.forEach(({ boxPx: box, trackId }, i) => {
    const colour = new cv.Vec3(...trackColor(trackId));
    // Same corners as the notebook's cv2.rectangle(frame, (x, y), (x+w, y+h), (0, 255, 0), 2).
    const corner = new cv.Point2(box.x + box.width, box.y + box.height);
    image.drawRectangle(new cv.Point2(box.x, box.y), corner, colour, style.boxThickness);
    drawLeader(image, box, captions[i].rect, colour, style);
  });
  // Captions last, so no other face's box or line crosses one.
  for (const caption of captions) drawCaption(image, caption, style);
}

interface CaptionStyle {
  boxThickness: number;
  fontScale: number;
  thickness: number;
  /** Between a caption and its own box's line, and between stacked captions. */
  gap: number;
}

/**
 * The notebook's 0.9 scale / thickness 2 suit a 640x480 webcam and scale down with the frame's
 * shorter side (0.45 at 320x240, still legible). Past 480 text grows slower than the frame
 * (k^0.8): capitals are ~3.5% of the height at 2048x1536 and under 3% past 4K instead of the
 * notebook's 4%, readable without crowding a group photo. The box keeps the notebook's 2 px up
 * to 640x480 and thickens beyond, or it vanishes next to 1080p captions.
 */
function captionStyle(frame: FrameSize): CaptionStyle {
  const k = Math.min(frame.width, frame.height) / 480;
  const fontScale = Math.max(0.35, 0.9 * (k <= 1 ? k : k ** 0.8));
  const boxThickness = Math.max(2, Math.round(2 * k));
  return { boxThickness, fontScale, thickness: Math.max(1, Math.round((fontScale * 2) / 0.9)), gap: Math.ceil(boxThickness / 2) + 1 };
}

/** Where one face's caption goes: its text, its rectangle (ink and outline) and the text's baseline origin. */
export interface PlacedCaption {
  text: string;
  rect: BoxPx;
  origin: { x: number; y: number };
}

/**
 * Measures each face's caption at the frame's text size and places them with `placeCaptions`:
 * no two rectangles intersect and all stay inside the frame. No drawing.
 * @returns one caption per face, in the order of `faces`.
 */
export function layoutCaptions(faces: readonly ClassifiedFace[], frame: FrameSize): PlacedCaption[] {
  return placeFaceCaptions(faces, frame, captionStyle(frame));
}

function placeFaceCaptions(faces: readonly ClassifiedFace[], frame: FrameSize, style: CaptionStyle): PlacedCaption[] {
  const measured = faces.map((face) => measureCaption(captionText(face), style));
  const requests = faces.map((face, i) => ({ box: face.boxPx, width: measured[i].width, height: measured[i].height }));
  const rects = placeCaptions(requests, frame, { gap: style.gap, spacing: style.gap });
  return rects.map((rect, i) => ({ text: measured[i].text, rect, origin: { x: rect.x + measured[i].pad, y: rect.y + measured[i].ascent } }));
}

function measureCaption(text: string, style: CaptionStyle): { text: string; pad: number; ascent: number; width: number; height: number } {
  const { size, baseLine } = cv.getTextSize(text, FONT, style.fontScale, style.thickness);
  // The outline is 2 px thicker than the text, and Hershey's brackets, '#' and '%' reach about a
  // quarter above the height getTextSize reports: the rectangle must hold all the ink.
  const pad = Math.ceil((style.thickness + 2) / 2);
  const ascent = Math.ceil(1.25 * size.height) + pad;
  return { text, pad, ascent, width: size.width + 2 * pad, height: ascent + baseLine + pad };
}

function drawCaption(image: Mat, { text, origin }: PlacedCaption, { fontScale, thickness }: CaptionStyle): void {
  const at = new cv.Point2(origin.x, origin.y);
  // A dark outline under the white text keeps it legible on bright walls and skin.
  image.putText(text, at, FONT, fontScale, BLACK, thickness + 2, cv.LINE_AA);
  image.putText(text, at, FONT, fontScale, WHITE, thickness, cv.LINE_AA);
}

/** A caption moved away from its box (crowded faces) gets a line in the box's colour, so it is clear whose it is. */
function drawLeader(image: Mat, box: BoxPx, caption: BoxPx, colour: InstanceType<typeof cv.Vec3>, style: CaptionStyle): void {
  const from = nearestPoint(box, { x: caption.x + caption.width / 2, y: caption.y + caption.height / 2 });
  const to = nearestPoint(caption, from);
  if (Math.hypot(to.x - from.x, to.y - from.y) <= 2 * style.gap) return;
  image.drawLine(new cv.Point2(from.x, from.y), new cv.Point2(to.x, to.y), colour, style.boxThickness, cv.LINE_AA);
}

/** The point of `rect` (edges included) nearest to `p`, in whole pixels. */
function nearestPoint(rect: BoxPx, p: { x: number; y: number }): { x: number; y: number } {
  const x = Math.max(rect.x, Math.min(Math.round(p.x), rect.x + rect.width - 1));
  const y = Math.max(rect.y, Math.min(Math.round(p.y), rect.y + rect.height - 1));
  return { x, y };
}
