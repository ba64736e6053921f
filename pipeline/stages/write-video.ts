import { concatMap, from, type OperatorFunction } from 'rxjs';
import type { PipelineMsg, StreamStartMsg } from '../messages.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import { EmotionStreamError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** What write-video needs of a video sink: one per stream, opened at stream-start. */
export interface VideoSink {
  write(pixels: Buffer): Promise<void>;
  close(): Promise<void>;
  readonly framesWritten: number;
}

export interface WriteVideoDeps {
  frameStore: FrameStore;
  /** Opens the sink for a stream (e.g. AnnotatedVideoWriter.open with the stream's size and fps). */
  open(start: StreamStartMsg): Promise<VideoSink>;
  logger?: Logger;
  /** Called once a stream's file is complete, with the frames written. */
  onClosed?(cameraId: string, frames: number): void;
}

/**
 * write-video: writes every processed frame's (annotated) pixels to the stream's video sink, in
 * order, waiting for the encoder (so a replay slows down instead of buffering). Frames whose
 * analysis failed are still written unannotated, so the output has the input's frame count.
 * A sink that fails to open or write errors the stream with ERR_SINK: an incomplete video
 * file must not look like a finished one.
 */
export function writeVideo(deps: WriteVideoDeps): OperatorFunction<PipelineMsg, PipelineMsg> {
  const sinks = new Map<string, VideoSink>();
  return (source) => source.pipe(concatMap((msg) => from(handle(msg, sinks, deps))));
}

async function handle(msg: PipelineMsg, sinks: Map<string, VideoSink>, deps: WriteVideoDeps): Promise<PipelineMsg> {
  try {
    if (msg.kind === 'stream-start') sinks.set(msg.cameraId, await deps.open(msg));
    else if (msg.kind === 'classifications') await sinks.get(msg.meta.cameraId)?.write(deps.frameStore.get(msg.meta.frameKey));
    else if (msg.kind === 'stream-end') {
      const sink = sinks.get(msg.cameraId);
      sinks.delete(msg.cameraId);
      if (sink) {
        await sink.close();
        deps.onClosed?.(msg.cameraId, sink.framesWritten);
      }
    }
  } catch (cause) {
    deps.logger?.error({ err: errorMessage(cause), kind: msg.kind }, 'annotated video failed');
    throw cause instanceof EmotionStreamError ? cause : new EmotionStreamError('ERR_SINK', `annotated video failed: ${errorMessage(cause)}`, { cause });
  }
  return msg;
}
