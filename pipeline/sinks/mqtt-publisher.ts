import type { MqttClient } from 'mqtt';
import { EmotionStreamError } from '../../common/errors.ts';
import { redactUrl } from '../../common/redact-url.ts';
import type { MqttConfig } from '../../config/schema.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { WireEvent } from '../events/wire-event.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { AVAILABILITY, mqttClientOptions } from './mqtt-client-options.ts';
import { MqttMessages, type MqttMessage } from './mqtt-messages.ts';
import { MqttTopics } from './mqtt-topics.ts';

export interface MqttPublisherOptions {
  logger?: Logger;
}

/** Totals since the publisher opened. */
export interface MqttCounters {
  /** Messages handed to the MQTT client (events, states, availability). */
  published: number;
  /** Of those, taken by the broker (QoS 1/2: acknowledged; QoS 0: written to the socket). */
  delivered: number;
  /** Events not queued because `maxQueued` were already waiting for the broker. */
  dropped: number;
  /** State messages replaced by a newer state of the same topic while the broker was away. */
  coalesced: number;
  /** Successful connections (reconnections included). */
  connects: number;
}

// A broker that stays away drops an event per frame; logging each would flood the log.
const LOG_EVERY_NTH_DROP = 1000;

/**
 * Publishes events and state to an MQTT broker (topics and payloads: docs/mqtt.md; the mapping
 * lives in MqttMessages). The broker is never waited for: `handle` returns at once, the client
 * connects and reconnects in the background, and while it is away events wait in memory (at most
 * `maxQueued`, then new ones are dropped and counted) and each state topic keeps only its latest
 * value, published on reconnection. `<prefix>/availability` is `online` while connected and
 * `offline` after close() or, through the last will, when the process dies.
 */
export class MqttPublisher implements EventSink {
  readonly name = 'mqtt';
  readonly topics: MqttTopics;
  private readonly messages: MqttMessages;
  private readonly heldStates = new Map<string, MqttMessage>();
  private readonly stats: MqttCounters = { published: 0, delivered: 0, dropped: 0, coalesced: 0, connects: 0 };
  private readonly drainWaiters = new Set<() => void>();
  private pending = 0;
  private failureLogged = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly config: MqttConfig,
    topics: MqttTopics,
    private readonly client: MqttClient,
    private readonly logger: Logger,
  ) {
    this.topics = topics;
    this.messages = new MqttMessages({
      topics, retain: config.retain, eventTypes: config.eventTypes, personStateIntervalMs: config.personStateIntervalMs,
    });
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    // Without a listener an unreachable broker would crash the process; mqtt.js retries by itself.
    client.on('error', (err) => this.onError(err));
    client.on('reconnect', () => this.logger.debug('mqtt reconnecting'));
  }

  /**
   * Starts connecting to `config.url` and returns at once: a broker that is down does not delay
   * start-up (its failure is logged, messages queue until it is up).
   * @throws EmotionStreamError ERR_CONFIG when a TLS file (ca, cert, key) cannot be read.
   */
  static async open(config: MqttConfig, options: MqttPublisherOptions = {}): Promise<MqttPublisher> {
    const topics = new MqttTopics(config.prefix);
    const clientOptions = await mqttClientOptions(config, topics);
    const logger = (options.logger ?? silentLogger()).child({ sink: 'mqtt', url: redactUrl(config.url), clientId: clientOptions.clientId });
    // Loaded only when MQTT is configured: the package costs every replay's start-up otherwise.
    const { default: mqtt } = await import('mqtt');
    const client = mqtt.connect(config.url, clientOptions);
    logger.info({ prefix: config.prefix, qos: config.qos }, 'mqtt connecting');
    return new MqttPublisher(config, topics, client, logger);
  }

  /** Whether the client is connected to the broker now. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** A snapshot of the totals. */
  get counters(): Readonly<MqttCounters> {
    return { ...this.stats };
  }

  /**
   * Publishes what `event` means on MQTT (events topic, camera and person state). Never waits.
   * @returns nothing; after close() a promise rejected with ERR_SINK (as JsonlWriter does).
   */
  handle(event: WireEvent): Promise<void> | undefined {
    if (this.closing) return Promise.reject(new EmotionStreamError('ERR_SINK', 'MQTT publisher is closed', { context: { type: event.type, camera: event.cameraId } }));
    for (const message of this.messages.messagesFor(event)) this.send(message);
    return undefined;
  }

  /**
   * Publishes `offline` on the availability topic, waits up to `closeTimeoutMs` for the broker to
   * take everything queued, and disconnects; what the broker did not take by then is logged as
   * lost. Never rejects (the other outputs of a run must still close). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Connected now: goodbye goes after everything queued. Not connected: onConnect sends it.
    if (this.client.connected) this.publish(this.availability(AVAILABILITY.offline));
    const drained = await this.waitForDrain(this.config.closeTimeoutMs);
    if (!drained) {
      this.logger.error(
        { undelivered: this.pending + this.heldStates.size, counters: this.stats, timeoutMs: this.config.closeTimeoutMs },
        'mqtt broker did not take every message before close; they are lost',
      );
    }
    await new Promise<void>((resolve) => this.client.end(!drained, {}, () => resolve()));
    this.logger.info({ counters: this.stats }, 'mqtt publisher closed');
  }

  private send(message: MqttMessage): void {
    if (message.kind === 'state' && !this.client.connected) {
      if (this.heldStates.has(message.topic)) this.stats.coalesced += 1;
      // Re-inserting moves the topic to the end, so states are replayed in the order they last changed.
      this.heldStates.delete(message.topic);
      this.heldStates.set(message.topic, message);
      return;
    }
    if (message.kind === 'event' && this.pending >= this.config.maxQueued) {
      this.stats.dropped += 1;
      if (this.stats.dropped === 1 || this.stats.dropped % LOG_EVERY_NTH_DROP === 0) {
        this.logger.warn({ dropped: this.stats.dropped, maxQueued: this.config.maxQueued, connected: this.client.connected }, 'mqtt queue full: events dropped');
      }
      return;
    }
    this.publish(message);
  }

  private publish(message: MqttMessage): void {
    this.pending += 1;
    this.stats.published += 1;
    this.client.publish(message.topic, message.payload, { qos: this.config.qos, retain: message.retain }, (err) => {
      this.pending -= 1;
      if (err) this.logger.debug({ err, topic: message.topic }, 'mqtt publish failed');
      else this.stats.delivered += 1;
      this.notifyDrained();
    });
  }

  private onConnect(): void {
    // mqtt.js waits for 'drain' once per message it could not write at once: a burst (the queue
    // flushed on reconnection) adds one listener each, bounded by maxQueued, not a leak.
    this.client.stream.setMaxListeners(this.config.maxQueued + 100);
    this.stats.connects += 1;
    this.failureLogged = false;
    this.logger.info({ connects: this.stats.connects, heldStates: this.heldStates.size, queued: this.pending }, 'mqtt connected');
    // The will may have marked us offline while we were away.
    this.publish(this.availability(AVAILABILITY.online));
    const held = [...this.heldStates.values()];
    this.heldStates.clear();
    for (const message of held) this.publish(message);
    if (this.closing) this.publish(this.availability(AVAILABILITY.offline));
  }

  private onClose(): void {
    if (this.stats.connects > 0 && !this.closing && !this.failureLogged) {
      this.logger.warn({ queued: this.pending }, 'mqtt connection lost; queueing until the broker is back');
    }
  }

  private onError(err: Error): void {
    // The first failure of each outage is an error; the retries after it (one a second) are noise.
    if (this.failureLogged) return void this.logger.debug({ err }, 'mqtt connection attempt failed');
    this.failureLogged = true;
    this.logger.error({ err, queued: this.pending }, 'mqtt connection failed; retrying every second, messages are queued meanwhile');
  }

  private availability(payload: string): MqttMessage {
    return { kind: 'state', topic: this.topics.availability, payload, retain: true };
  }

  private isDrained(): boolean {
    return this.pending === 0 && this.heldStates.size === 0;
  }

  private notifyDrained(): void {
    if (!this.isDrained()) return;
    for (const wake of this.drainWaiters) wake();
    this.drainWaiters.clear();
  }

  /** Resolves true once nothing waits for the broker, false after `timeoutMs`. */
  private waitForDrain(timeoutMs: number): Promise<boolean> {
    if (this.isDrained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.drainWaiters.add(wake);
    });
  }
}
