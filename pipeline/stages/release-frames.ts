import { tap, type OperatorFunction } from 'rxjs';
import { isFrameStageMsg, type PipelineMsg } from '../messages.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import type { FlowGate } from '../flow/flow-gate.ts';

/**
 * release-frames: the last stage. Once every sink has seen a frame, its pixels leave the frame
 * store and its flow-gate credit returns to capture, which may then decode the next frame.
 */
export function releaseFrames(deps: { frameStore: FrameStore; gate: FlowGate }): OperatorFunction<PipelineMsg, PipelineMsg> {
  return tap((msg) => {
    if (!isFrameStageMsg(msg)) return;
    deps.frameStore.delete(msg.meta.frameKey);
    deps.gate.release();
  });
}
