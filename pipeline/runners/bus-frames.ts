import type { Bus } from '../bus/transport.ts';
import type { BgrFrame } from '../frames/bgr-image.ts';
import type { DecodingFrameStore } from '../frames/decoding-frame-store.ts';
import { encodeFrame, type FrameEncoding } from '../frames/frame-codec.ts';

/*
 * Frame pixels on the bus. Across processes (Redis) each frame is stored once, encoded
 * (frame-codec.ts: JPEG by default), and each worker that reads it decodes it at most once. On
 * the in-memory bus the pixels are handed over by reference: there nothing is copied, so encoding
 * would only add CPU (about 1-6 ms to encode and 1-8 ms per decode of a 640x480 frame on a
 * shared 2-core machine, docs/scale-out.md).
 */

/** Stores a frame's pixels under `key` for `ttlMs`; returns the bytes stored. */
export async function storeFrame(bus: Bus, key: string, frame: BgrFrame, options: { encoding: FrameEncoding; ttlMs: number }): Promise<number> {
  const bytes = bus.transport === 'memory' ? frame.pixels : encodeFrame(frame, options.encoding);
  await bus.frames.put(key, bytes, options.ttlMs);
  return bytes.length;
}

/**
 * Fetches a frame's stored bytes into a worker's local store (decoded there on first read).
 * Resolves false when the key is gone (expired or deleted): the stage then reports ERR_FRAME_MISSING.
 */
export async function fetchFrame(bus: Bus, key: string, into: DecodingFrameStore): Promise<boolean> {
  const bytes = await bus.frames.get(key);
  if (!bytes) return false;
  if (bus.transport === 'memory') into.put(key, bytes);
  else into.putEncoded(key, bytes);
  return true;
}
