import { concat, concatMap, defer, finalize, from, ignoreElements } from 'rxjs';
import type { Stage } from '../stage.ts';
import type { ClassificationsMsg, PipelineMsg, StreamStartMsg } from '../messages.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import { EmotionStreamError, errorMessage, isEmotionStreamError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../logger.ts';

/** What write-video needs of a video sink: one per stream, opened at stream-start. */
export interface VideoSink {
  write(pixels: Buffer): Promise<void>;
  /** Finishes the file. */
  close(): Promise<void>;
  /** Stops without finishing: kills the encoder and removes the incomplete file. */
  abort(): Promise<void>;
  readonly framesWritten: number;
}

export interface WriteVideoDeps {
  frameStore: FrameStore;
  /** Opens the sink for a stream (e.g. AnnotatedVideoWriter.open with the stream's size and fps); null: this stream writes no video. */
  open(start: StreamStartMsg): Promise<VideoSink | null>;
  logger?: Logger;
  /** Called once a stream's file is complete, with the frames written. */
  onClosed?(cameraId: string, frames: number): void;
}

/** Per subscription: the open sink and the last frame written, per camera. */
interface WriterState {
  sinks: Map<string, VideoSink>;
  last: Map<string, Buffer>;
  /** Set on error or unsubscribe: a sink that finishes opening after that is aborted at once. */
  torndown: boolean;
}

/**
 * write-video: writes every processed frame's (annotated) pixels to the stream's video sink, in
 * order, waiting for the encoder (so a replay slows down instead of buffering). Frames whose
 * analysis failed are still written unannotated, and a frame whose pixels are gone from the
 * store repeats the previous frame, so the output keeps the input's frame count and timing.
 *
 * A stream's file is finished at its stream-end (or when the input completes without one). A
 * sink that fails to open or write errors the stream with ERR_SINK; on any error or unsubscribe
 * the open files are aborted: an incomplete video file must not look like a finished one, and a
 * live encoder process must not outlive the pipeline.
 */
export const writeVideo: Stage<WriteVideoDeps> = (deps) => {
  const logger = (deps.logger ?? silentLogger()).child({ stage: 'write-video' });
  return (source) => defer(() => {
    const state: WriterState = { sinks: new Map(), last: new Map(), torndown: false };
    return concat(
      source.pipe(concatMap((msg) => from(handle(msg, state, deps, logger)))),
      defer(() => from(closeAll(state, deps, logger))).pipe(ignoreElements()),
    ).pipe(finalize(() => abortAll(state, logger)));
  });
};

async function handle(msg: PipelineMsg, state: WriterState, deps: WriteVideoDeps, logger: Logger): Promise<PipelineMsg> {
  try {
    if (msg.kind === 'stream-start') await openStream(msg, state, deps, logger);
    else if (msg.kind === 'classifications') await writeFrame(msg, state, deps, logger);
    else if (msg.kind === 'stream-end') await closeStream(msg.cameraId, state, deps);
  } catch (cause) {
    // Debug only: the error goes to the caller, who reports it once.
    logger.debug({ err: cause, kind: msg.kind }, 'annotated video failed');
    throw isEmotionStreamError(cause) ? cause : new EmotionStreamError('ERR_SINK', `annotated video failed: ${errorMessage(cause)}`, { cause });
  }
  return msg;
}

async function openStream(msg: StreamStartMsg, state: WriterState, deps: WriteVideoDeps, logger: Logger): Promise<void> {
  // A camera that starts again without a stream-end (a reconnect) finishes its previous file first.
  await closeStream(msg.cameraId, state, deps);
  const sink = await deps.open(msg);
  if (!sink) return;
  if (state.torndown) return abortSink(sink, logger);
  state.sinks.set(msg.cameraId, sink);
}

async function writeFrame(msg: ClassificationsMsg, state: WriterState, deps: WriteVideoDeps, logger: Logger): Promise<void> {
  const { cameraId, frameKey, seq } = msg.meta;
  const sink = state.sinks.get(cameraId);
  if (!sink) return;
  let pixels: Buffer | undefined;
  try {
    pixels = deps.frameStore.get(frameKey);
  } catch (err) {
    if (!isEmotionStreamError(err) || err.code !== 'ERR_FRAME_MISSING') throw err;
    pixels = state.last.get(cameraId);
    logger.warn({ camera: cameraId, frame: seq, repeated: pixels !== undefined }, 'frame pixels missing: repeating the previous frame');
    if (!pixels) return;
  }
  state.last.set(cameraId, pixels);
  await sink.write(pixels);
}

async function closeStream(cameraId: string, state: WriterState, deps: WriteVideoDeps): Promise<void> {
  const sink = state.sinks.get(cameraId);
  state.sinks.delete(cameraId);
  state.last.delete(cameraId);
  if (!sink) return;
  await sink.close();
  deps.onClosed?.(cameraId, sink.framesWritten);
}

/** Input completed: every stream still open is finished (its frames are all there). */
async function closeAll(state: WriterState, deps: WriteVideoDeps, logger: Logger): Promise<void> {
  for (const cameraId of [...state.sinks.keys()]) {
    logger.debug({ camera: cameraId }, 'input completed without stream-end: finishing the file');
    await closeStream(cameraId, state, deps);
  }
}

/** Error or unsubscribe: nothing will finish the open files, so they are aborted (not awaited: teardown is synchronous). */
function abortAll(state: WriterState, logger: Logger): void {
  state.torndown = true;
  for (const sink of state.sinks.values()) void abortSink(sink, logger);
  state.sinks.clear();
  state.last.clear();
}

async function abortSink(sink: VideoSink, logger: Logger): Promise<void> {
  try {
    await sink.abort();
  } catch (err) {
    logger.warn({ err }, 'annotated video could not be aborted');
  }
}
