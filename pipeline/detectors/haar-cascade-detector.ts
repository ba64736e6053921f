import cv, { type Mat, type Rect } from '../opencv.ts';
import type { CascadeClassifier } from '@u4/opencv4nodejs';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import type { BoxPx } from '../messages.ts';
import { bgrMat, type BgrFrame } from '../frames/bgr-image.ts';
import type { RegionFaceDetector } from './face-detector.ts';
import { checkCascadeFile } from './cascade-file-check.ts';

/** Haar cascade settings. Defaults are the seed notebook's `detectMultiScale` call. */
export interface HaarCascadeOptions {
  /** Cascade XML. Default: OpenCV's haarcascade_frontalface_default.xml as Debian installs it. */
  cascadePath?: string;
  /** Step between pyramid scales, > 1. Default 1.1. */
  scaleFactor?: number;
  /** Overlapping hits needed to keep a face (higher = fewer false positives). Default 5. */
  minNeighbors?: number;
  /** Smallest face side in pixels of the original frame. Default 30. */
  minSize?: number;
  /** Largest face side in pixels of the original frame. Default: no limit. */
  maxSize?: number;
  /**
   * Detect on a copy whose longer side is this many pixels (never upscaled), then map boxes back
   * to full-frame pixels: roughly (frame / downscaleTo)^2 less work. The cascade's window is 24 px,
   * so faces smaller than 24 * frame / downscaleTo full-frame pixels are no longer found.
   */
  downscaleTo?: number;
  /** Histogram-equalise the gray image first (helps low-contrast video; off in the notebook). Default false. */
  equalize?: boolean;
}

/** The cascade's own detection window: nothing smaller can be found. */
const CASCADE_WINDOW_PX = 24;
/** detectNear scales each window so the known face is about this big. */
const WINDOW_FACE_PX = 64;
/** detectNear's pyramid step inside a window (the face's size is about known). */
const WINDOW_SCALE_STEP = 1.2;

export const DEFAULT_CASCADE_PATH = '/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml';

type Settings = Required<Omit<HaarCascadeOptions, 'maxSize' | 'downscaleTo'>> &
  Pick<HaarCascadeOptions, 'maxSize' | 'downscaleTo'>;

/**
 * Loads and checks an OpenCV Haar cascade face detector. Detection runs on libuv's thread pool
 * (detectMultiScaleAsync), so the JS thread stays free; concurrent `detect` calls each get their
 * own classifier, because one OpenCV CascadeClassifier must not be used by two threads at once.
 *
 * @throws ERR_CONFIG for out-of-range options; ERR_DETECTOR_LOAD (context.path) when the cascade
 *   file is missing or invalid.
 */
export async function loadHaarCascadeDetector(options: HaarCascadeOptions = {}): Promise<RegionFaceDetector> {
  const settings = resolveSettings(options);
  await checkCascadeFile(settings.cascadePath);
  return new HaarCascadeDetector(settings);
}

function resolveSettings(options: HaarCascadeOptions): Settings {
  const settings: Settings = {
    cascadePath: options.cascadePath ?? DEFAULT_CASCADE_PATH,
    scaleFactor: options.scaleFactor ?? 1.1,
    minNeighbors: options.minNeighbors ?? 5,
    minSize: options.minSize ?? 30,
    maxSize: options.maxSize,
    downscaleTo: options.downscaleTo,
    equalize: options.equalize ?? false,
  };
  const problems = [
    !(settings.scaleFactor > 1) && 'scaleFactor must be > 1',
    !(Number.isInteger(settings.minNeighbors) && settings.minNeighbors >= 0) && 'minNeighbors must be an integer >= 0',
    !(settings.minSize >= 1) && 'minSize must be >= 1',
    settings.maxSize !== undefined && !(settings.maxSize >= settings.minSize) && 'maxSize must be >= minSize',
    settings.downscaleTo !== undefined && !(settings.downscaleTo >= 24) && 'downscaleTo must be >= 24 (the cascade window)',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) {
    throw new EmotionStreamError('ERR_CONFIG', `invalid Haar cascade options: ${problems.join('; ')}`, { context: { options } });
  }
  return settings;
}

class HaarCascadeDetector implements RegionFaceDetector {
  readonly name = 'haar-cascade';
  private readonly idle: CascadeClassifier[] = [];
  private disposed = false;

  constructor(private readonly settings: Settings) {
    this.idle.push(new cv.CascadeClassifier(settings.cascadePath));
  }

  async detect(frame: BgrFrame): Promise<BoxPx[]> {
    if (this.disposed) throw new EmotionStreamError('ERR_DETECT', 'detector was disposed');
    const image = bgrMat(frame);
    const scale = Math.min(1, (this.settings.downscaleTo ?? Infinity) / Math.max(frame.width, frame.height));
    const classifier = this.idle.pop() ?? new cv.CascadeClassifier(this.settings.cascadePath);
    let gray: Mat | undefined;
    try {
      gray = await this.grayForDetection(image, scale);
      // Per-axis scales from the rounded detection size, so boxes map back without drift.
      const toFrame = { sx: gray.cols / frame.width, sy: gray.rows / frame.height };
      const found = await classifier.detectMultiScaleAsync(gray, this.detectParams(toFrame.sx));
      return found.objects
        .map((rect) => toFrameBox(rect, toFrame, frame))
        .filter((box): box is BoxPx => box !== undefined)
        .sort((a, b) => a.x - b.x || a.y - b.y);
    } catch (err) {
      throw new EmotionStreamError('ERR_DETECT', `haar cascade detection failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      gray?.release();
      if (!this.disposed) this.idle.push(classifier);
    }
  }

  async detectNear(frame: BgrFrame, near: BoxPx[], margin: number): Promise<Array<BoxPx | undefined>> {
    if (this.disposed) throw new EmotionStreamError('ERR_DETECT', 'detector was disposed');
    const image = bgrMat(frame);
    try {
      // One window per box, each on its own classifier so they run on libuv threads side by side.
      return await Promise.all(near.map((box) => this.detectInWindow(image, box, margin, frame)));
    } catch (err) {
      throw new EmotionStreamError('ERR_DETECT', `haar cascade detection near known faces failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async detectInWindow(image: Mat, box: BoxPx, margin: number, frame: BgrFrame): Promise<BoxPx | undefined> {
    // At a frame edge the window slides inwards instead of shrinking: the cascade needs room around a face.
    const [x0, x1] = windowSpan(box.x, box.width, margin, frame.width);
    const [y0, y1] = windowSpan(box.y, box.height, margin, frame.height);
    const side = Math.max(box.width, box.height);
    // A face changes size little from one frame to the next: a narrow band of scales is enough.
    const minSide = Math.max(this.settings.minSize, Math.round(side * 0.8));
    const maxSide = Math.round(side * 1.25);
    if (x1 - x0 < minSide || y1 - y0 < minSide) return undefined; // the face has left the frame
    // The cascade (a 24 px window) finds a 64 px face as well as a 200 px one, at a tenth of the work.
    const k = Math.min(1, WINDOW_FACE_PX / side);
    const window = this.windowGray(image, new cv.Rect(x0, y0, x1 - x0, y1 - y0), k);
    const classifier = this.idle.pop() ?? new cv.CascadeClassifier(this.settings.cascadePath);
    try {
      const scaled = (px: number) => Math.max(CASCADE_WINDOW_PX, Math.round(px * k));
      const found = await classifier.detectMultiScaleAsync(window, {
        // Coarser steps than a whole-frame search: half the work for a few points of recall (measured in its test).
        scaleFactor: Math.max(this.settings.scaleFactor, WINDOW_SCALE_STEP),
        // Fewer scales and positions fit a window than a frame, so a face gathers fewer hits: ask for fewer.
        minNeighbors: Math.max(Math.min(this.settings.minNeighbors, 1), this.settings.minNeighbors - 2),
        minSize: new cv.Size(scaled(minSide), scaled(minSide)),
        maxSize: new cv.Size(scaled(maxSide), scaled(maxSide)),
      });
      const largest = found.objects.reduce<Rect | undefined>((best, r) => (!best || r.width * r.height > best.width * best.height ? r : best), undefined);
      if (!largest) return undefined;
      const sx = window.cols / (x1 - x0);
      const sy = window.rows / (y1 - y0);
      return toFrameBox({ x: largest.x + x0 * sx, y: largest.y + y0 * sy, width: largest.width, height: largest.height }, { sx, sy }, frame);
    } finally {
      window.release();
      if (!this.disposed) this.idle.push(classifier);
    }
  }

  /** The window as its own gray Mat (scaled by k): small, so done on this thread. */
  private windowGray(image: Mat, rect: Rect, k: number): Mat {
    const region = image.getRegion(rect);
    const small = k < 1 ? region.resize(Math.max(1, Math.round(rect.height * k)), Math.max(1, Math.round(rect.width * k)), 0, 0, cv.INTER_AREA) : region.copy();
    const gray = small.cvtColor(cv.COLOR_BGR2GRAY);
    small.release();
    if (!this.settings.equalize) return gray;
    const equalized = gray.equalizeHist();
    gray.release();
    return equalized;
  }

  dispose(): void {
    this.disposed = true;
    this.idle.length = 0;
  }

  private async grayForDetection(image: Mat, scale: number): Promise<Mat> {
    let source = image;
    if (scale < 1) {
      // INTER_AREA averages the dropped pixels instead of skipping them: no aliasing on faces.
      source = await image.resizeAsync(Math.round(image.rows * scale), Math.round(image.cols * scale), 0, 0, cv.INTER_AREA);
    }
    const gray = await source.cvtColorAsync(cv.COLOR_BGR2GRAY);
    if (source !== image) source.release();
    if (!this.settings.equalize) return gray;
    const equalized = await gray.equalizeHistAsync();
    gray.release();
    return equalized;
  }

  /** minSize/maxSize are given in full-frame pixels; the cascade sees the (maybe downscaled) image. */
  private detectParams(scale: number) {
    const { scaleFactor, minNeighbors, minSize, maxSize } = this.settings;
    const side = (px: number) => Math.max(1, Math.round(px * scale));
    return {
      scaleFactor,
      minNeighbors,
      minSize: new cv.Size(side(minSize), side(minSize)),
      ...(maxSize === undefined ? {} : { maxSize: new cv.Size(side(maxSize), side(maxSize)) }),
    };
  }
}

/** [start, end) of a window `margin` sides larger than [start, start + length) on each side, kept inside [0, limit). */
function windowSpan(start: number, length: number, margin: number, limit: number): [number, number] {
  const want = Math.min(limit, Math.ceil(length * (1 + 2 * margin)));
  const from = Math.max(0, Math.min(Math.floor(start - margin * length), limit - want));
  return [from, from + want];
}

/** Maps a rect found on the detection image back to integer full-frame pixels, clipped to the frame. */
function toFrameBox(rect: Pick<Rect, 'x' | 'y' | 'width' | 'height'>, scale: { sx: number; sy: number }, frame: BgrFrame): BoxPx | undefined {
  const clamp = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));
  const x0 = clamp(rect.x / scale.sx, frame.width);
  const y0 = clamp(rect.y / scale.sy, frame.height);
  const x1 = clamp((rect.x + rect.width) / scale.sx, frame.width);
  const y1 = clamp((rect.y + rect.height) / scale.sy, frame.height);
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
