import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { EMOTIONS } from '../../pipeline/messages.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../pipeline/logger.ts';
import type { FaceDataset } from './face-dataset.ts';
import type { DatasetFingerprint } from './dataset-fingerprint.ts';

/** Everything a cached dataset depends on: change any of it and the cache entry no longer matches. */
export interface DatasetCacheKey {
  /** Absolute path of the loader's input. */
  path: string;
  format: string;
  size: number;
  target?: string;
  usage?: string;
  fingerprint: DatasetFingerprint;
}

/** The default cache folder, relative to the working directory (git-ignored). */
export const DEFAULT_DATASET_CACHE_DIR = '.cache/datasets';

const MAGIC = 0x43445345; // "ESDC" little-endian
/** Bump when the file layout or what loaders produce changes, so old entries are rebuilt. */
const VERSION = 1;
const HEAD = 12;

/**
 * Decoded-dataset cache: one binary file per (dataset, options, input fingerprint) so later
 * runs never decode images again. Layout (little-endian): "ESDC", u32 version, u32 header length,
 * header JSON (key, name, size, count, classes, sources, skipped, dropped), zero padding to 4 bytes,
 * f32 targets, u8 labels, u8 pixels, u32 CRC-32 of everything before it.
 * Writes go to a temporary file renamed into place (readers never see half a file); a file that
 * fails any check is ignored (and replaced by the next write), never an error.
 */
export class DatasetCache {
  readonly dir: string;
  private readonly logger: Logger;

  constructor(dir: string = DEFAULT_DATASET_CACHE_DIR, logger: Logger = silentLogger()) {
    this.dir = resolve(dir);
    this.logger = logger;
  }

  /** The cache file for `key`: `<format>-<input name>-<options hash>-<fingerprint hash>.bin`. */
  fileFor(key: DatasetCacheKey): string {
    return join(this.dir, `${this.prefixFor(key)}${hash({ ...key.fingerprint, v: VERSION }).slice(0, 12)}.bin`);
  }

  /** The cached dataset for `key`, or undefined when absent, stale or corrupt. */
  read(key: DatasetCacheKey): FaceDataset | undefined {
    const file = this.fileFor(key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ file, err }, 'dataset cache unreadable, rebuilding');
      return undefined;
    }
    const dataset = decodeCacheFile(bytes, JSON.stringify(key));
    if (typeof dataset === 'string') this.logger.warn({ file, reason: dataset }, 'dataset cache file corrupt, rebuilding');
    return typeof dataset === 'string' ? undefined : dataset;
  }

  /** Stores `dataset` under `key` atomically and removes older entries for the same input and options. Failures are logged, not thrown. */
  write(key: DatasetCacheKey, dataset: FaceDataset): void {
    const file = this.fileFor(key);
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeParts(tmp, encodeCacheFile(dataset, JSON.stringify(key)));
      renameSync(tmp, file);
      this.removeStale(key, file);
    } catch (err) {
      if (existsSync(tmp)) rmSync(tmp, { force: true });
      this.logger.warn({ file, err }, 'dataset cache could not be written; next load decodes again');
    }
  }

  private prefixFor(key: DatasetCacheKey): string {
    const name = basename(key.path).replace(/[^A-Za-z0-9_.-]/g, '_');
    const options = hash({ path: key.path, format: key.format, size: key.size, target: key.target, usage: key.usage, v: VERSION });
    return `${key.format}-${name}-${options.slice(0, 12)}-`;
  }

  private removeStale(key: DatasetCacheKey, keep: string): void {
    const prefix = this.prefixFor(key);
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(prefix) && name.endsWith('.bin') && join(this.dir, name) !== keep) rmSync(join(this.dir, name), { force: true });
    }
  }
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function encodeCacheFile(dataset: FaceDataset, key: string): Uint8Array[] {
  const { name, size, count, classes, sources, skipped, dropped } = dataset;
  const header = Buffer.from(JSON.stringify({ key, name, size, count, classes, sources, skipped, dropped }), 'utf8');
  const head = Buffer.alloc(HEAD + header.length + pad4(HEAD + header.length));
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(header.length, 8);
  header.copy(head, HEAD);
  const parts: Uint8Array[] = [head, new Uint8Array(dataset.targets.buffer, dataset.targets.byteOffset, dataset.targets.byteLength), dataset.labels, dataset.pixels];
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(parts.reduce((sum, part) => crc32(part, sum), 0), 0);
  return [...parts, crc];
}

function writeParts(file: string, parts: Uint8Array[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const part of parts) {
      for (let written = 0; written < part.length; ) written += writeSync(fd, part, written, part.length - written);
    }
  } finally {
    closeSync(fd);
  }
}

/** The dataset in `bytes`, or why the file is not a valid cache entry for `key`. */
function decodeCacheFile(bytes: Buffer, key: string): FaceDataset | string {
  if (bytes.length < HEAD + 4 || bytes.readUInt32LE(0) !== MAGIC) return 'not a dataset cache file';
  if (bytes.readUInt32LE(4) !== VERSION) return `cache version ${bytes.readUInt32LE(4)}, expected ${VERSION}`;
  const headerLength = bytes.readUInt32LE(8);
  if (HEAD + headerLength + 4 > bytes.length) return 'truncated header';
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== bytes.readUInt32LE(bytes.length - 4)) return 'checksum mismatch';
  let header: Omit<FaceDataset, 'pixels' | 'targets' | 'labels'> & { key: string };
  try {
    header = JSON.parse(bytes.toString('utf8', HEAD, HEAD + headerLength));
  } catch (err) {
    return `bad header: ${errorMessage(err)}`;
  }
  if (header.key !== key) return 'written for another dataset key';
  if (JSON.stringify(header.classes) !== JSON.stringify(EMOTIONS)) return 'written for other classes';
  const { count, size } = header;
  const targetsAt = HEAD + headerLength + pad4(HEAD + headerLength);
  const labelsAt = targetsAt + count * EMOTIONS.length * 4;
  const pixelsAt = labelsAt + count;
  if (pixelsAt + count * size * size + 4 !== bytes.length) return 'length does not match the header';
  const { key: _key, ...meta } = header;
  return {
    ...meta,
    classes: EMOTIONS,
    targets: new Float32Array(bytes.buffer.slice(bytes.byteOffset + targetsAt, bytes.byteOffset + labelsAt)),
    labels: new Uint8Array(bytes.buffer, bytes.byteOffset + labelsAt, count),
    pixels: new Uint8Array(bytes.buffer, bytes.byteOffset + pixelsAt, count * size * size),
  };
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}
