import type { BoxPx } from '../messages.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';

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
   */
  detect(frame: BgrFrame): Promise<BoxPx[]>;
  /** Releases native resources; `detect` must not be called afterwards. */
  dispose?(): void;
}
