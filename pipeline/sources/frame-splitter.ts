/**
 * Cuts a raw video byte stream (ffmpeg's `-f rawvideo` stdout) into fixed-size frames.
 * Pipe chunks never line up with frames, so bytes are copied into the frame being filled
 * and each frame is emitted once complete, in its own buffer (no view into a larger chunk
 * keeps that chunk alive).
 */
export class FrameSplitter {
  readonly frameBytes: number;
  private current: Buffer;
  private filled = 0;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes < 1) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.frameBytes = frameBytes;
    this.current = Buffer.allocUnsafe(frameBytes);
  }

  /** Consumes `chunk`; returns the frames it completed (possibly none), oldest first. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        frames.push(this.current);
        // allocUnsafe is safe here: every byte is overwritten before the frame is handed out.
        this.current = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Bytes of an incomplete frame held back; non-zero at end of stream means a cut-off frame. */
  get pendingBytes(): number {
    return this.filled;
  }
}
