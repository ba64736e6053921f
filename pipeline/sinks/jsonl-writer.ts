import { open, type FileHandle } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { WireEvent } from '../events/wire-event.ts';
import { silentLogger, type Logger } from '../logger.ts';

export interface JsonlWriterOptions {
  logger?: Logger;
}

/**
 * Appends wire events to a file, one JSON object per line (JSON Lines), in the order `write`
 * was called. Events are written as the pipeline makes them: version 2 (schema/events.v2.json),
 * track events included, the same objects the WebSocket broadcaster is handed. Each line goes to the stream in a single write, so lines are never interleaved;
 * `close()` resolves only once every accepted line is on disk and the file is closed.
 *
 * Memory: lines wait in the stream's buffer while the disk is slower than the camera; nothing is
 * dropped (events.jsonl is the record users audit, unlike the live WebSocket feed).
 */
export class JsonlWriter implements EventSink {
  readonly name = 'jsonl';
  /** Absolute path of the file written. */
  readonly path: string;
  private readonly stream: WriteStream;
  private readonly logger: Logger;
  private failure: EmotionStreamError | undefined;
  private closing: Promise<void> | undefined;
  private written = 0;
  /** Frame and stream-end events already at the end of the file when it was opened (see `open`). */
  private readonly alreadyWritten: Set<string>;

  private constructor(path: string, stream: WriteStream, logger: Logger, alreadyWritten: Set<string>) {
    this.path = path;
    this.stream = stream;
    this.logger = logger;
    this.alreadyWritten = alreadyWritten;
    // Without a listener a disk error (ENOSPC, EIO) would crash the process; it is kept and
    // reported by the next write() and by close().
    stream.on('error', (err) => {
      this.fail(err);
      this.logger.error({ err }, 'events file write failed');
    });
  }

  /**
   * Opens (creating if needed) `filePath` for appending. A sinks worker killed between writing an
   * event and recording that it did has that event redone by its successor: the frame and
   * stream-end events at the end of an existing file are remembered, and writing one of them
   * again is a no-op, so the file holds each event once.
   * @throws EmotionStreamError ERR_SINK naming the path when the directory does not exist, is
   *   not writable, or the path is a directory.
   */
  static async open(filePath: string, options: JsonlWriterOptions = {}): Promise<JsonlWriter> {
    const path = resolve(filePath);
    try {
      const handle = await open(path, 'a+');
      const logger = (options.logger ?? silentLogger()).child({ sink: 'jsonl', path });
      const tail = await eventsAtTheEnd(handle);
      return new JsonlWriter(path, handle.createWriteStream({ encoding: 'utf8' }), logger, tail);
    } catch (err) {
      throw new EmotionStreamError('ERR_SINK', `cannot open events file ${path}: ${openFailure(err, path)}`, {
        cause: err,
        context: { path },
      });
    }
  }

  /** Lines accepted so far. */
  get linesWritten(): number {
    return this.written;
  }

  /**
   * Queues one event as one line. The returned promise resolves when the line has been handed to
   * the OS; awaiting it is optional (order is kept either way).
   * @throws (rejects) ERR_SINK after close() or after an earlier write failed.
   */
  write(event: WireEvent): Promise<void> {
    if (this.closing) return Promise.reject(new EmotionStreamError('ERR_SINK', `events file ${this.path} is closed`, { context: { path: this.path } }));
    if (this.failure) return Promise.reject(this.failure);
    if (this.alreadyWritten.size > 0 && this.alreadyWritten.delete(eventIdentity(event) ?? '')) {
      this.logger.info({ camera: event.cameraId, type: event.type }, 'event already in the file (written before a restart): not written twice');
      return Promise.resolve();
    }
    const line = `${JSON.stringify(event)}\n`;
    this.written += 1;
    return new Promise((resolvePromise, reject) => {
      this.stream.write(line, (err) => (err ? reject(this.fail(err)) : resolvePromise()));
    });
  }

  handle(event: WireEvent): Promise<void> {
    return this.write(event);
  }

  /**
   * Flushes every queued line and closes the file. Idempotent.
   * @throws (rejects) ERR_SINK when a write failed, since lines were then lost.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolvePromise, reject) => {
      const settle = () => (this.failure ? reject(this.failure) : resolvePromise());
      // A failed stream may already be closed (it destroys itself on error); 'close' would never come again.
      if (this.stream.closed) return settle();
      // 'close' follows both a clean finish and an error (autoClose), so it always settles.
      this.stream.once('close', settle);
      this.stream.end();
    }).then(() => this.logger.debug({ lines: this.written }, 'events file closed'));
    return this.closing;
  }

  // The write callback runs before the stream's 'error' event, so both paths record the first failure here.
  private fail(err: Error): EmotionStreamError {
    this.failure ??= new EmotionStreamError('ERR_SINK', `writing events to ${this.path} failed: ${err.message}`, {
      cause: err,
      context: { path: this.path },
    });
    return this.failure;
  }
}

/** How much of an existing file's end is read for events a killed predecessor already wrote. */
const TAIL_BYTES = 256 * 1024;

/** A frame or stream-end event's identity (the same when the pipeline redoes it); others have none. */
function eventIdentity(event: WireEvent): string | undefined {
  if (event.type === 'frame') return `${event.cameraId}/frame/${event.seq}/${event.capturedAt}`;
  if (event.type === 'stream-end') return `${event.cameraId}/end/${event.endedAt}`;
  return undefined;
}

/** Identities of the events in the last TAIL_BYTES of the file (its first, possibly cut, line skipped). */
async function eventsAtTheEnd(handle: FileHandle): Promise<Set<string>> {
  const { size } = await handle.stat();
  const start = Math.max(0, size - TAIL_BYTES);
  const buffer = Buffer.alloc(size - start);
  await handle.read(buffer, 0, buffer.length, start);
  const lines = buffer.toString('utf8').split('\n');
  if (start > 0) lines.shift();
  const found = new Set<string>();
  for (const line of lines) {
    try {
      const id = line ? eventIdentity(JSON.parse(line) as WireEvent) : undefined;
      if (id) found.add(id);
    } catch {
      // A line that is not JSON (not this writer's) identifies nothing.
    }
  }
  return found;
}

function openFailure(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${dirname(path)} does not exist`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `directory ${dirname(path)} is not writable`;
  if (code === 'EISDIR') return 'the path is a directory';
  if (code === 'ENOTDIR') return `a parent of ${path} is not a directory`;
  return errorMessage(err);
}
