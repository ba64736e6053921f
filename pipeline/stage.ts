import type { OperatorFunction } from 'rxjs';
import type { PipelineMsg } from './messages.ts';

/**
 * The stage contract: a stage is a pure factory that takes its injected dependencies and
 * returns an RxJS operator over pipeline messages. A stage passes through kinds it does not
 * handle, never errors the stream for one bad frame (the fault rides on the message), and
 * does all I/O through its dependencies.
 */
export type Stage<Deps> = (deps: Deps) => OperatorFunction<PipelineMsg, PipelineMsg>;
