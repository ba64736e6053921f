import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Where frame pixels live while their messages move through the stages. Messages carry only
 * the key. In one process this is a Map; across processes the same contract is met by Redis
 * with a TTL.
 */
export interface FrameStore {
  put(key: string, pixels: Buffer): void;
  /** Returns the pixels, or throws ERR_FRAME_MISSING. */
  get(key: string): Buffer;
  has(key: string): boolean;
  delete(key: string): void;
  readonly size: number;
}

export function frameKey(cameraId: string, seq: number): string {
  return `${cameraId}:${seq}`;
}

export class InMemoryFrameStore implements FrameStore {
  private readonly frames = new Map<string, Buffer>();

  put(key: string, pixels: Buffer): void {
    this.frames.set(key, pixels);
  }

  get(key: string): Buffer {
    const pixels = this.frames.get(key);
    if (!pixels) throw new EmotionStreamError('ERR_FRAME_MISSING', `frame ${key} is not in the frame store`, { context: { key } });
    return pixels;
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
}
