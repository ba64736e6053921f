import { WebSocket, type RawData } from 'ws';
import { isEmotionStreamError } from '../../common/errors.ts';
import type { Logger } from '../logger.ts';
import type { CameraFilter } from './camera-filter.ts';
import { changeSelection, parseClientRequest, selects, type EventSelection } from './client-request.ts';
import { errorReply, subscriptionReply, type ServerMessage } from './server-message.ts';
import { toWireV1, type WireEvent, type WireVersion } from './wire-event.ts';

/** Totals across every connection since start (they survive disconnects). */
export interface BroadcasterCounters {
  /** Events handed to publish(). */
  published: number;
  /** Event messages written to client sockets (one event to three clients counts three). */
  delivered: number;
  /** Frame events skipped for a client whose send buffer was over the limit. */
  dropped: number;
  /** Client messages answered with ERR_BAD_MESSAGE. */
  badMessages: number;
  /** Upgrade requests refused (wrong path, bad token, shutting down). */
  rejected: number;
  /** Connections accepted. */
  connections: number;
}

export interface BroadcastClientDeps {
  ws: WebSocket;
  filter: CameraFilter;
  /** The version and event types asked for when connecting (the upgrade URL). */
  selection: EventSelection;
  counters: BroadcasterCounters;
  logger: Logger;
}

export type DeliveryOutcome = 'sent' | 'dropped' | 'filtered';

/**
 * One published event and its JSON in each wire version, serialised at most once per version
 * however many clients receive it.
 */
export class EncodedEvent {
  readonly event: WireEvent;
  private readonly json = new Map<WireVersion, string | undefined>();

  constructor(event: WireEvent) {
    this.event = event;
  }

  /** The event as a client of version `v` receives it, or undefined when `v` has no such event. */
  jsonFor(v: WireVersion): string | undefined {
    if (!this.json.has(v)) {
      const value = v === 1 ? toWireV1(this.event) : this.event;
      this.json.set(v, value === undefined ? undefined : JSON.stringify(value));
    }
    return this.json.get(v);
  }
}

/**
 * One connected WebSocket client: its camera filter, its wire version and event types, its
 * slow-consumer state and its subscribe/unsubscribe protocol. The broadcaster owns the socket's lifecycle.
 */
export class BroadcastClient {
  readonly ws: WebSocket;
  /** Answered the last heartbeat ping; a client that misses one is cut off. */
  alive = true;
  private readonly filter: CameraFilter;
  private current: EventSelection;
  private readonly counters: BroadcasterCounters;
  private readonly logger: Logger;
  private droppedFrames = 0;
  private lagging = false;

  constructor(deps: BroadcastClientDeps) {
    this.ws = deps.ws;
    this.filter = deps.filter;
    this.current = deps.selection;
    this.counters = deps.counters;
    this.logger = deps.logger;
    this.ws.on('pong', () => {
      this.alive = true;
    });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  /** Frame events dropped for this client because it read too slowly. */
  get dropped(): number {
    return this.droppedFrames;
  }

  /** The version and event types in force. */
  get selection(): EventSelection {
    return this.current;
  }

  /**
   * Sends one event, in the client's version, if the client wants its camera and its type.
   * Frame events are dropped (and counted) while the client's unsent bytes exceed
   * `maxBufferedBytes`: a live feed is better late-skipped than stalled. Other events are never
   * dropped, so a client always learns which cameras exist and every track's summary.
   */
  deliver(encoded: EncodedEvent, maxBufferedBytes: number): DeliveryOutcome {
    const { event } = encoded;
    if (this.ws.readyState !== WebSocket.OPEN || !this.filter.accepts(event.cameraId) || !selects(this.current, event.type)) return 'filtered';
    const json = encoded.jsonFor(this.current.v);
    if (json === undefined) return 'filtered';
    if (event.type === 'frame' && this.ws.bufferedAmount > maxBufferedBytes) {
      this.droppedFrames += 1;
      this.counters.dropped += 1;
      // Warn on the transition only: a stuck client would otherwise log at the frame rate.
      if (!this.lagging) this.logger.warn({ bufferedAmount: this.ws.bufferedAmount }, 'slow client: dropping frame events');
      this.lagging = true;
      return 'dropped';
    }
    if (this.lagging && event.type === 'frame') {
      this.lagging = false;
      this.logger.warn({ dropped: this.droppedFrames }, 'slow client caught up');
    }
    this.ws.send(json);
    this.counters.delivered += 1;
    return 'sent';
  }

  send(message: ServerMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.reject('binary messages are not supported; send JSON text');
      return;
    }
    try {
      const request = parseClientRequest(rawText(data));
      if (request.type === 'subscribe') {
        // Checked before anything changes, so a rejected subscribe leaves the client as it was.
        const selection = changeSelection(this.current, request);
        if (request.cameras) this.filter.subscribe(request.cameras);
        this.current = selection;
      } else {
        this.filter.unsubscribe(request.cameras);
      }
      this.logger.debug({ request }, 'subscription changed');
      this.send(subscriptionReply(this.current, this.filter.describe()));
    } catch (err) {
      if (!isEmotionStreamError(err) || err.code !== 'ERR_BAD_MESSAGE') throw err;
      this.reject(err.message);
    }
  }

  private reject(message: string): void {
    this.counters.badMessages += 1;
    this.logger.debug({ message }, 'bad client message');
    this.send(errorReply(this.current.v, message));
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
