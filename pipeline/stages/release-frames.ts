import { tap } from 'rxjs';
import { isFrameStageMsg, type PipelineMsg } from '../messages.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import type { FlowGate } from '../flow/flow-gate.ts';
import type { Stage } from '../stage.ts';

export interface ReleaseFramesDeps {
  frameStore: FrameStore;
  gate: FlowGate;
}

/**
 * release-frames: the last stage. Once every sink has seen a frame, its pixels leave the frame
 * store and its flow-gate credit returns to capture, which may then decode the next frame.
 */
export const releaseFrames: Stage<ReleaseFramesDeps> = (deps) => tap((msg: PipelineMsg) => {
  if (!isFrameStageMsg(msg)) return;
  deps.frameStore.delete(msg.meta.frameKey);
  deps.gate.release();
});
