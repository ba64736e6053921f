import { EmotionStreamError } from '../../common/errors.ts';
import { decodeFrame } from './frame-codec.ts';
import type { FrameStore } from './frame-store.ts';

interface Entry {
  /** As fetched from the shared store (frame-codec layout) until the first read decodes it. */
  encoded?: Buffer;
  pixels?: Buffer;
}

/**
 * A worker's local frame store over encoded frames: a frame is decoded on its first `get` and
 * the pixels kept for the rest of that frame's work in this worker (detect-then-crop, annotate
 * then write), so a frame is decoded at most once per worker, and never when no stage of the
 * worker reads its pixels (a classifier on a frame without faces, sinks that draw nothing).
 */
export class DecodingFrameStore implements FrameStore {
  private readonly frames = new Map<string, Entry>();
  private decodedCount = 0;

  /** Bytes as `encodeFrame` wrote them; decoded lazily. */
  putEncoded(key: string, bytes: Buffer): void {
    this.frames.set(key, { encoded: bytes });
  }

  /** Decoded BGR24 pixels (a stage that drew on a frame puts it back). */
  put(key: string, pixels: Buffer): void {
    this.frames.set(key, { pixels });
  }

  /**
   * The frame's BGR24 pixels, decoding them on the first call.
   * @throws ERR_FRAME_MISSING when the key is not here; ERR_FRAME_CORRUPT when its bytes do not decode.
   */
  get(key: string): Buffer {
    const entry = this.frames.get(key);
    if (!entry) throw new EmotionStreamError('ERR_FRAME_MISSING', `frame ${key} is not in the frame store`, { context: { key } });
    if (!entry.pixels) {
      entry.pixels = decodeFrame(entry.encoded!, key).pixels;
      entry.encoded = undefined;
      this.decodedCount += 1;
    }
    return entry.pixels;
  }

  has(key: string): boolean {
    return this.frames.has(key);
  }

  delete(key: string): void {
    this.frames.delete(key);
  }

  get size(): number {
    return this.frames.size;
  }

  /** Frames decoded so far (each at most once while it is here). */
  get decoded(): number {
    return this.decodedCount;
  }
}
