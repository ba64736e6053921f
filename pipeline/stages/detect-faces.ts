import { concatMap, defer, from, map, mergeMap, type OperatorFunction } from 'rxjs';
import { stageFault } from '../stage-fault.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import type { FaceDetector } from '../detectors/face-detector.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { DetectionsMsg, FrameMsg, PipelineMsg } from '../messages.ts';
import type { Stage } from '../stage.ts';

export interface DetectFacesDeps {
  detector: FaceDetector;
  frameStore: FrameStore;
  /** Frames detected at the same time (default 1). Output order is the input order regardless. */
  concurrency?: number;
  logger?: Logger;
}

const STAGE = 'detect-faces';

/**
 * The detect-faces stage: each `frame` message becomes a `detections` message with the same meta,
 * one `{ boxPx }` per face and `timings.detect` (ms). Other kinds pass through unchanged, in order.
 *
 * A frame whose pixels are missing (ERR_FRAME_MISSING) or whose detection fails becomes a
 * `detections` message with no faces and a `fault`; the stream itself never errors. A frame
 * that already carries a fault is not detected: it moves on with no faces and its first fault.
 */
export const detectFaces: Stage<DetectFacesDeps> = (deps) => {
  const logger = (deps.logger ?? silentLogger()).child({ stage: STAGE, detector: deps.detector.name });
  const concurrency = Math.max(1, Math.floor(deps.concurrency ?? 1));
  const handle = async (msg: PipelineMsg): Promise<PipelineMsg> =>
    msg.kind === 'frame' ? detectFrame(msg, deps, logger) : msg;
  return orderedMergeMap(handle, concurrency);
};

async function detectFrame(msg: FrameMsg, deps: DetectFacesDeps, logger: Logger): Promise<DetectionsMsg> {
  const { meta } = msg;
  const base = { kind: 'detections', v: 1, meta } as const;
  if (msg.fault) return { ...base, faces: [], timings: msg.timings, fault: msg.fault };
  const started = performance.now();
  try {
    const pixels = deps.frameStore.get(meta.frameKey);
    const frame = { pixels, width: meta.width, height: meta.height };
    const context = { stream: meta.cameraId, seq: meta.seq, live: meta.live === true, ptsMs: meta.ptsMs };
    const faces = deps.detector.detectScored
      ? await deps.detector.detectScored(frame, context)
      : (await deps.detector.detect(frame, context)).map((boxPx) => ({ boxPx }));
    const timings = { ...msg.timings, detect: performance.now() - started };
    return { ...base, faces, timings };
  } catch (err) {
    const fault = stageFault(STAGE, err, 'ERR_DETECT');
    logger.warn({ camera: meta.cameraId, frame: meta.seq, code: fault.code, err }, 'face detection fault');
    return { ...base, faces: [], timings: { ...msg.timings, detect: performance.now() - started }, fault };
  }
}

/**
 * mergeMap that runs up to `concurrency` projections at once but emits results in input order:
 * a finished result waits in `done` until every earlier one has been emitted. `project` must
 * not reject (faults ride on messages), so one slow frame only delays, never drops, later ones.
 */
function orderedMergeMap<T, R>(project: (value: T) => Promise<R>, concurrency: number): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      const done = new Map<number, R>();
      let next = 0;
      return source.pipe(
        mergeMap((value, index) => from(project(value)).pipe(map((result) => ({ index, result }))), concurrency),
        concatMap(({ index, result }) => {
          done.set(index, result);
          const ready: R[] = [];
          while (done.has(next)) {
            ready.push(done.get(next) as R);
            done.delete(next);
            next += 1;
          }
          return ready;
        }),
      );
    });
}
