/**
 * bench:mqtt — what the MQTT publisher costs the pipeline's thread and how fast a local broker
 * takes its messages: a tracked stream of N frames with two people (the event tests' messages),
 * handed to a connected MqttPublisher at QoS 0 and 1, with the default event types and with frame
 * events on. Prints one line per case (µs of handle() per frame, messages, messages/s until the
 * broker took the last one); last line one JSON object. Starts its own mosquitto on a free port.
 *   npm run bench:mqtt [-- --frames 5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mqttSchema } from '../config/schema.ts';
import { toWireEvents, type WireEvent } from '../pipeline/events/wire-event.ts';
import { MqttPublisher } from '../pipeline/sinks/mqtt-publisher.ts';
import { MqttRecorder, TestMosquitto } from '../test/helpers/mosquitto-server.ts';
import { classifications, streamEndWithTracks, streamStart, tracked } from '../test/pipeline/events/sample-messages.ts';

const { values } = parseArgs({ options: { frames: { type: 'string' } } });
const frames = Number(values.frames ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'es-bench-mqtt-'));
const broker = await TestMosquitto.start(dir);

const events: WireEvent[] = toWireEvents(streamStart());
for (let seq = 0; seq < frames; seq++) events.push(...toWireEvents(tracked(classifications(seq))));
events.push(...toWireEvents(streamEndWithTracks('cam1', frames)));

const results: Record<string, unknown>[] = [];
try {
  for (const qos of [0, 1] as const) {
    for (const frameEvents of [false, true]) {
      const prefix = `bench/${qos}/${frameEvents ? 'frames' : 'default'}`;
      // Timed from connected to closed, so the connection's start-up is not counted.
      const watcher = await MqttRecorder.subscribe(broker.url, `${prefix}/availability`);
      const config = mqttSchema.parse({
        url: broker.url, prefix, qos, maxQueued: 1_000_000, closeTimeoutMs: 600_000,
        ...(frameEvents ? { eventTypes: ['frame', 'track-end', 'stream-start', 'stream-end'] } : {}),
      });
      const publisher = await MqttPublisher.open(config);
      await watcher.waitFor((m) => m.payload === 'online');
      await watcher.close();
      const started = performance.now();
      let handleMs = 0;
      for (const event of events) {
        const t = performance.now();
        publisher.handle(event);
        handleMs += performance.now() - t;
      }
      await publisher.close();
      const totalMs = performance.now() - started;
      const { published, delivered } = publisher.counters;
      const row = {
        qos, frameEvents, frames, messages: published, delivered,
        handleUsPerFrame: Math.round((handleMs * 1000) / frames * 10) / 10,
        messagesPerSecond: Math.round((published / totalMs) * 1000),
      };
      results.push(row);
      process.stderr.write(`qos ${qos}, frame events ${frameEvents ? 'on ' : 'off'}: ${row.handleUsPerFrame} µs/frame in handle(), ${published} messages, ${row.messagesPerSecond} messages/s\n`);
    }
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ bench: 'mqtt', cores: availableParallelism(), load1: Math.round(loadavg()[0] * 10) / 10, results })}\n`);
