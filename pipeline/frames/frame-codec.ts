import { crc32 } from 'node:zlib';
import cv from '../opencv.ts';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import { bgrMat, type BgrFrame } from './bgr-image.ts';

/**
 * How a frame's pixels are stored on a bus between processes: `raw` BGR24 (exact, 921,600 bytes
 * at 640x480) or `jpeg` at a quality of 1-100 (about 36 KB at 640x480 and quality 90).
 */
export type FrameEncoding = { format: 'raw' } | { format: 'jpeg'; quality: number };

/** The encoding the config's `bus.frameEncoding` and `bus.jpegQuality` name. */
export function frameEncodingOf(bus: { frameEncoding: 'raw' | 'jpeg'; jpegQuality: number }): FrameEncoding {
  return bus.frameEncoding === 'raw' ? { format: 'raw' } : { format: 'jpeg', quality: bus.jpegQuality };
}

/*
 * Stored layout: a 20-byte header, then the payload (BGR24 rows, or a JPEG file).
 *   0 magic 'ESF1' | 4 format (0 raw, 1 jpeg) | 5-7 zero | 8 width u32le | 12 height u32le | 16 crc32(payload) u32le
 * The header makes every stored frame self-describing (a reader needs no config, and workers
 * configured differently still agree); the checksum turns a damaged or truncated value into an
 * error instead of a silently garbled image (a JPEG decoder fills a truncated image with grey).
 */
const MAGIC = Buffer.from('ESF1', 'latin1');
const HEADER_BYTES = 20;
const FORMATS = ['raw', 'jpeg'] as const;

/**
 * Encodes one BGR24 frame for a shared frame store.
 * @throws ERR_FRAME_SHAPE when the pixels do not match width x height x 3.
 */
export function encodeFrame(frame: BgrFrame, encoding: FrameEncoding): Buffer {
  const mat = bgrMat(frame); // checks the shape for both formats
  let payload: Buffer;
  try {
    payload = encoding.format === 'raw' ? frame.pixels : cv.imencode('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, encoding.quality]);
  } finally {
    mat.release();
  }
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = FORMATS.indexOf(encoding.format);
  header.writeUInt32LE(frame.width, 8);
  header.writeUInt32LE(frame.height, 12);
  header.writeUInt32LE(crc32(payload), 16);
  return Buffer.concat([header, payload]);
}

/**
 * Decodes what `encodeFrame` stored under `key`. Raw pixels come back as a view of `bytes` (no
 * copy); JPEG is decoded by OpenCV into a new buffer.
 * @throws ERR_FRAME_CORRUPT (with the key) when the bytes are not an intact frame.
 */
export function decodeFrame(bytes: Buffer, key: string): BgrFrame {
  const corrupt = (why: string, cause?: unknown) =>
    new EmotionStreamError('ERR_FRAME_CORRUPT', `frame ${key}: stored bytes are not an intact frame (${why})`, { cause, context: { key, bytes: bytes.length } });
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) throw corrupt(`no frame header in ${bytes.length} bytes`);
  const format = FORMATS[bytes[4]];
  if (!format) throw corrupt(`unknown encoding ${bytes[4]}`);
  const width = bytes.readUInt32LE(8);
  const height = bytes.readUInt32LE(12);
  const payload = bytes.subarray(HEADER_BYTES);
  if (crc32(payload) !== bytes.readUInt32LE(16)) throw corrupt(`${format} payload of ${payload.length} bytes fails its checksum: damaged or truncated`);
  if (format === 'raw') {
    if (payload.length !== width * height * 3) throw corrupt(`raw payload of ${payload.length} bytes is not ${width}x${height} BGR24`);
    return { pixels: payload, width, height };
  }
  let mat;
  try {
    mat = cv.imdecode(payload, cv.IMREAD_COLOR);
  } catch (err) {
    throw corrupt(`JPEG decoder failed: ${errorMessage(err)}`, err);
  }
  try {
    if (mat.empty || mat.cols !== width || mat.rows !== height) throw corrupt(`JPEG decodes to ${mat.cols}x${mat.rows}, header says ${width}x${height}`);
    return { pixels: mat.getData(), width, height };
  } finally {
    mat.release();
  }
}
