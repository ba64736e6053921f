import { map } from 'rxjs';
import cv, { type Mat } from '../opencv.ts';
import { stageFault } from '../stage-fault.ts';
import { bgrMat, type BgrFrame } from '../frames/bgr-image.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { ClassificationsMsg, ClassifiedFace, Emotion, PipelineMsg } from '../messages.ts';
import type { Stage } from '../stage.ts';

export interface AnnotateDeps {
  frameStore: FrameStore;
  logger?: Logger;
}

const STAGE = 'annotate';
const GREEN = new cv.Vec3(0, 255, 0); // BGR
const WHITE = new cv.Vec3(255, 255, 255);
const BLACK = new cv.Vec3(0, 0, 0);
const FONT = cv.FONT_HERSHEY_SIMPLEX;

/**
 * A face's caption as the seed notebook writes it: `Happy (93.1%)`.
 * @param confidence probability of `label`, 0..1.
 */
export function formatFaceLabel(label: Emotion, confidence: number): string {
  return `${label.charAt(0).toUpperCase()}${label.slice(1)} (${(confidence * 100).toFixed(1)}%)`;
}

/**
 * The annotate stage: for each `classifications` message, draws into the stored frame (in place)
 * a green box (2 px up to 640x480, thicker on larger frames) per face and its white caption (`formatFaceLabel`) above the box, or
 * just inside its top when there is no room above; then sets `annotated: true` and
 * `timings.annotate` (ms). Other kinds, and messages that already carry a fault, pass through
 * unchanged. A missing frame (ERR_FRAME_MISSING) or a drawing failure (ERR_ANNOTATE) becomes a
 * `fault` on the message; the stream never errors.
 */
export const annotate: Stage<AnnotateDeps> = (deps) => {
  const logger = (deps.logger ?? silentLogger()).child({ stage: STAGE });
  return map((msg: PipelineMsg): PipelineMsg => (msg.kind === 'classifications' ? annotateFrame(msg, deps, logger) : msg));
};

function annotateFrame(msg: ClassificationsMsg, deps: AnnotateDeps, logger: Logger): ClassificationsMsg {
  if (msg.fault || msg.annotated) return msg;
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
  for (const { boxPx: box, label, confidence } of faces) {
    // Same corners as the notebook's cv2.rectangle(frame, (x, y), (x+w, y+h), (0, 255, 0), 2).
    const corner = new cv.Point2(box.x + box.width, box.y + box.height);
    image.drawRectangle(new cv.Point2(box.x, box.y), corner, GREEN, style.boxThickness);
    drawCaption(image, formatFaceLabel(label, confidence), { x: box.x, y: box.y }, style);
  }
}

interface CaptionStyle {
  boxThickness: number;
  fontScale: number;
  thickness: number;
  margin: number;
}

/**
 * The notebook's 0.9 scale / thickness 2 / 10 px gap suit a 640x480 webcam; scale them with the
 * frame's shorter side so captions stay readable from 320x240 (0.45) to 1080p (2.0). The box keeps
 * the notebook's 2 px up to 640x480 and thickens beyond, or it vanishes next to 1080p captions.
 */
function captionStyle(frame: BgrFrame): CaptionStyle {
  const k = Math.min(frame.width, frame.height) / 480;
  return {
    boxThickness: Math.max(2, Math.round(2 * k)),
    fontScale: Math.min(3, Math.max(0.35, 0.9 * k)),
    thickness: Math.max(1, Math.round(2 * k)),
    margin: Math.max(3, Math.round(10 * k)),
  };
}

function drawCaption(image: Mat, text: string, boxTopLeft: { x: number; y: number }, style: CaptionStyle): void {
  const { fontScale, thickness, margin } = style;
  const { size, baseLine } = cv.getTextSize(text, FONT, fontScale, thickness);
  const x = Math.max(0, Math.min(boxTopLeft.x, image.cols - size.width));
  // The baseline sits `margin` above the box (the notebook's y - 10) unless the text would leave
  // the frame; then it goes just inside the box's top edge.
  let y = boxTopLeft.y - margin;
  if (y - size.height < 0) y = boxTopLeft.y + margin + size.height;
  y = Math.min(y, image.rows - 1 - baseLine);
  const origin = new cv.Point2(x, y);
  // A dark outline under the white text keeps it legible on bright walls and skin.
  image.putText(text, origin, FONT, fontScale, BLACK, thickness + 2, cv.LINE_AA);
  image.putText(text, origin, FONT, fontScale, WHITE, thickness, cv.LINE_AA);
}
