import { tap } from 'rxjs';
import type { EventSink } from '../events/event-sink.ts';
import { toWireEvents, type WireEvent } from '../events/wire-event.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { PipelineMsg } from '../messages.ts';
import type { Stage } from '../stage.ts';

/** Counters kept by emit-events; pass your own object to read them (the stage only adds to them). */
export interface EmitEventsStats {
  /** Wire events produced and handed to the sinks (a frame with track events counts each). */
  events: number;
  /** Messages that could not be turned into an event (malformed input); they still pass through. */
  conversionErrors: number;
  /** Failures per sink name (a throw or a rejected promise). */
  sinkErrors: Record<string, number>;
}

export interface EmitEventsDeps {
  /** Every event goes to every sink, in message order (version 2; the broadcaster converts for v1 clients). */
  sinks: readonly EventSink[];
  logger?: Logger;
  /** Clock for `emittedAt`, epoch ms. Default Date.now. */
  now?: () => number;
  stats?: EmitEventsStats;
}

// A sink that is down fails on every frame; logging each would flood the log at the frame rate.
const LOG_EVERY_NTH_FAILURE = 100;

/**
 * emit-events: turns stream-start, classifications and stream-end messages into wire events
 * (a frame and its track events, or the track-end events of open tracks and the stream-end; see
 * toWireEvents) and hands each to every sink. Messages pass through unchanged (same object, same order). A sink
 * that throws or rejects is logged and counted, and neither the stream nor the other sinks notice.
 * Sink promises are not awaited: live video never waits for a disk or a socket.
 */
export const emitEvents: Stage<EmitEventsDeps> = (deps) => {
  const logger = (deps.logger ?? silentLogger()).child({ stage: 'emit-events' });
  const stats = deps.stats ?? { events: 0, conversionErrors: 0, sinkErrors: {} };
  const options = { now: deps.now };

  const sinkFailed = (sink: EventSink, event: WireEvent, err: unknown): void => {
    const count = (stats.sinkErrors[sink.name] ?? 0) + 1;
    stats.sinkErrors[sink.name] = count;
    if (count === 1 || count % LOG_EVERY_NTH_FAILURE === 0) {
      logger.warn({ err, sink: sink.name, failures: count, camera: event.cameraId, type: event.type }, 'event sink failed');
    }
  };

  const emit = (msg: PipelineMsg): void => {
    let events: WireEvent[];
    try {
      events = toWireEvents(msg, options);
    } catch (err) {
      stats.conversionErrors += 1;
      logger.warn({ err, kind: msg.kind }, 'message could not be turned into an event');
      return;
    }
    for (const event of events) {
      stats.events += 1;
      for (const sink of deps.sinks) handOver(sink, event, sinkFailed);
    }
  };

  return (source) => source.pipe(tap(emit));
};

function handOver(sink: EventSink, event: WireEvent, onFailure: (sink: EventSink, event: WireEvent, err: unknown) => void): void {
  try {
    const pending = sink.handle(event);
    if (pending) pending.catch((err: unknown) => onFailure(sink, event, err));
  } catch (err) {
    onFailure(sink, event, err);
  }
}
