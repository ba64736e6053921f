import type { BoxPx, DetectedFace } from '../messages.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';

/** Which stream a frame belongs to and where in it: lets a detector keep per-stream state (tracking). */
export interface DetectContext {
  /** Stream key, e.g. the camera id; frames of one key come in (mostly) increasing `seq`. */
  stream: string;
  /** The frame's 0-based index in its stream (a smaller one than before means a new stream). */
  seq: number;
  /** A live source: favour latency (e.g. slow work off the frame's path) over reproducible output. */
  live?: boolean;
  /** The frame's presentation time in ms (motion models predict where a face will be then). */
  ptsMs?: number;
}

/**
 * What every face detector implements (Haar cascade today; DNN or other detectors later), so the
 * detect-faces stage never depends on one. A detector is loaded and checked before it is handed
 * out (its `load...` function throws ERR_DETECTOR_LOAD), so `detect` only fails per frame.
 */
export interface FaceDetector {
  /** Short identifier for logs and metrics, e.g. "haar-cascade". */
  readonly name: string;
  /**
   * Finds faces in one BGR24 frame. Boxes are integer pixel boxes of that frame, clipped to it,
   * sorted left to right (then top to bottom) so output is stable from frame to frame.
   * Rejects (e.g. ERR_FRAME_SHAPE, ERR_DETECT) for that frame only; the detector stays usable.
   * `context` is optional: stateless detectors ignore it.
   */
  detect(frame: BgrFrame, context?: DetectContext): Promise<BoxPx[]>;
  /**
   * The same faces with how sure the detector is of each (0..1), for detectors that can tell:
   * e.g. detect-then-track scores a whole-frame search's faces 1 and faces found only near a known
   * one lower. detect-faces prefers it when present.
   */
  detectScored?(frame: BgrFrame, context?: DetectContext): Promise<DetectedFace[]>;
  /** Releases native resources; `detect` must not be called afterwards. */
  dispose?(): void;
}

/** A detector that can also look for one face near each of several boxes, far cheaper than a whole frame. */
export interface RegionFaceDetector extends FaceDetector {
  /**
   * For each box in `near`, the face found in a window `margin` box-sides larger on each side,
   * at 0.8x-1.25x that box's size (the largest if several), or undefined when none is there.
   */
  detectNear(frame: BgrFrame, near: BoxPx[], margin: number): Promise<Array<BoxPx | undefined>>;
}
