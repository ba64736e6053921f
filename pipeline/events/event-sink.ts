import type { WireEvent } from './wire-event.ts';

/**
 * Where wire events go (WebSocket broadcaster, JSONL file, later Redis pub/sub). `handle` is
 * called in event order. A returned promise is not awaited by the pipeline (live video must not
 * wait for a disk or a socket), but its rejection is logged and counted; a sink that must not
 * lose or reorder events keeps its own ordered queue (as JsonlWriter does).
 */
export interface EventSink {
  /** Short stable name for logs and counters, e.g. "websocket", "jsonl". */
  readonly name: string;
  handle(event: WireEvent): void | Promise<void>;
}
