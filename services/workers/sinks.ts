import { SinkRunner } from '../../pipeline/runners/sink-runner.ts';
import { STAGE_QUEUES, TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import { JsonlWriter } from '../../pipeline/sinks/jsonl-writer.ts';
import { MqttPublisher } from '../../pipeline/sinks/mqtt-publisher.ts';
import type { EventSink } from '../../pipeline/events/event-sink.ts';
import type { WireEvent } from '../../pipeline/events/wire-event.ts';
import type { Bus } from '../../pipeline/bus/transport.ts';
import { orderedStages } from '../../pipeline/stage-registry.ts';
import { loadReidEmbedder } from '../../pipeline/tracking/load-reid-embedder.ts';
import { observeStage } from '../../pipeline/observe/observe-stage.ts';
import type { RunningWorker, WorkerContext } from './worker-context.ts';

/**
 * sinks worker (formerly `broadcaster`, still accepted by that name): puts every stream back in
 * order, runs the stages that need that order (track-emotions when tracking is on, annotate for
 * streams that want drawn frames) and then the sinks: wire events to the bus (gateways serve
 * them over WebSocket), the events JSONL file, annotated videos.
 */
export async function startSinks({ config, bus, logger, metrics }: WorkerContext): Promise<RunningWorker> {
  const log = logger.child({ stage: 'sinks' });
  const faceEmbedder = await loadReidEmbedder(config.tracking, config.classifier.backend);
  const jsonl = config.output.eventsJsonl ? await JsonlWriter.open(config.output.eventsJsonl, { logger: log }) : undefined;
  const sinks: EventSink[] = [busEventPublisher(bus, log)];
  if (jsonl) sinks.push(jsonl);
  // Connects in the background: a broker that is down holds up neither start-up nor the other sinks.
  const mqtt = config.mqtt ? await MqttPublisher.open(config.mqtt, { logger: log }) : undefined;
  if (mqtt) sinks.push(mqtt);
  // Managed cameras' state changes reach the bus from the gateway, not through this worker's streams.
  const unfollowCameras = mqtt ? await forwardCameraStates(bus, mqtt, log) : undefined;
  const runner = new SinkRunner({
    bus, sinks, reorderWindow: config.bus.reorderWindow, gapTimeoutMs: config.bus.gapTimeoutSeconds * 1000, logger: log,
    streamStateTtlMs: config.bus.streamStateTtlSeconds * 1000,
    // Re-identification embeds faces from the frame's pixels, whether or not a video is drawn.
    fetchAllFrames: faceEmbedder !== undefined,
    // Capture-to-sink latency per frame: what a user of the events sees.
    onFrame: (msg) => metrics.frameOut('sinks', Date.now() - msg.meta.capturedAt),
    // Every ordered stage is built; annotate itself skips the frames of streams that want none drawn.
    stages: ({ frameStore, drawn, trackIds }) => {
      const services = { frameStore, drawn, trackIds, faceEmbedder, logger: log, concurrency: 1, maxBatchFaces: config.classifier.maxBatchFaces, tracking: config.tracking };
      const operators = orderedStages({ annotate: true, track: config.tracking.enabled })
        .map((stage) => observeStage(stage.label, stage.operator(services), metrics, { faultStage: stage.name }));
      return (source) => operators.reduce((stream, op) => stream.pipe(op), source);
    },
  }).start();
  metrics.trackQueueDepth(STAGE_QUEUES.sink, () => bus.queue(STAGE_QUEUES.sink).depth());
  return {
    stage: 'sinks',
    async stop(force) {
      try {
        await runner.stop(force);
      } finally {
        faceEmbedder?.dispose?.();
        await unfollowCameras?.().catch((err: unknown) => log.debug({ err }, 'camera-state subscription not closed'));
        await mqtt?.close(); // never rejects, so the events file below is always closed
        await jsonl?.close();
      }
    },
  };
}

/** Publishes each wire event on the events topic; a failed publish is counted by emit-events. */
function busEventPublisher(bus: Bus, logger: WorkerContext['logger']): EventSink {
  const topic = bus.topic<WireEvent>(TOPICS.events);
  return {
    name: 'bus-events',
    handle: (event) => topic.publish(event).catch((err: unknown) => {
      logger.debug({ err }, 'event publish failed');
      throw err;
    }),
  };
}

/** camera-state events published on the events topic (by the gateway's camera manager) go to MQTT too. */
async function forwardCameraStates(bus: Bus, mqtt: MqttPublisher, logger: WorkerContext['logger']): Promise<() => Promise<void>> {
  return bus.topic<WireEvent>(TOPICS.events).subscribe((event) => {
    if (event.type === 'camera-state') mqtt.handle(event)?.catch((err: unknown) => logger.debug({ err }, 'camera state not published on MQTT'));
  });
}
