import type { Bus } from '../bus/transport.ts';
import type { Logger } from '../logger.ts';
import { STAGE_QUEUES, jobId, streamKeys, type BusEnvelope } from './bus-envelope.ts';

/** What a capture keeps on the bus while its stream has no stream-end: enough to end it for it. */
interface OpenStream {
  streamId: string;
  /** Sequence numbers the stream has used so far (frames sent and dropped): its end's position. */
  endPosition: number;
  annotate: boolean;
}

/** The code a stream ended for a capture that died carries (its stream-end reason is 'error'). */
export const CAPTURE_LOST = 'ERR_CAPTURE_LOST';

/**
 * The camera's open stream on the bus. Capture updates it before each frame goes out and clears
 * it once its stream-end is sent, so a capture that died (SIGKILL) leaves it behind for the next
 * capture of that camera to end. Updated before the frame is queued: a capture killed in between
 * leaves one position that never comes, which the sinks skip after bus.gapTimeoutSeconds.
 */
export class OpenStreamMarker {
  constructor(private readonly bus: Bus, private readonly cameraId: string, private readonly ttlMs: number) {}

  /** Records the stream and the positions it used (its TTL restarts: a stream nobody ends vanishes). */
  async update(open: OpenStream): Promise<void> {
    await this.bus.counters.setValue(streamKeys.openStream(this.cameraId), JSON.stringify(open), this.ttlMs);
  }

  async clear(): Promise<void> {
    await this.bus.counters.delete(streamKeys.openStream(this.cameraId));
  }

  /**
   * Ends the stream an earlier capture of this camera left open (it died before its stream-end):
   * a stream-end with reason 'error' and code ERR_CAPTURE_LOST after the positions it used, so the
   * sinks close it with every frame it had published. Returns its id, or null when none was open.
   */
  async endLeftover(logger: Logger): Promise<string | null> {
    const raw = await this.bus.counters.getValue(streamKeys.openStream(this.cameraId));
    if (!raw) return null;
    const open = JSON.parse(raw) as OpenStream;
    const env: BusEnvelope = {
      v: 1, streamId: open.streamId, annotate: open.annotate, endPosition: open.endPosition,
      msg: {
        kind: 'stream-end', v: 1, cameraId: this.cameraId, frames: open.endPosition, reason: 'error', endedAt: Date.now(),
        error: { code: CAPTURE_LOST, message: `the capture of camera ${this.cameraId} stopped without ending this stream (killed?): it ends after the ${open.endPosition} frames it had published; a new stream replaces it` },
      },
    };
    await this.bus.queue<BusEnvelope>(STAGE_QUEUES.sink).add(jobId(env, STAGE_QUEUES.sink), env);
    await this.clear();
    logger.warn({ stream: open.streamId, frames: open.endPosition }, 'an earlier capture of this camera died mid-stream: its stream is ended (ERR_CAPTURE_LOST)');
    return open.streamId;
  }
}
