import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { CameraState, CameraStateChange } from '../cameras/camera-types.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { PipelineMsg, StreamEndMsg } from '../messages.ts';
import { captureFfmpeg, type CaptureOptions } from './capture-ffmpeg.ts';
import { captureFailure, isRetryableOpenError, type CaptureFailure } from './capture-failure.ts';
import { describeSource } from './describe-source.ts';
import { backoffDelay, FIRST_FRAME_GRACE_MS, resolvePolicy, STABLE_SESSION_MS, type ReconnectPolicy } from './reconnect-policy.ts';

export { backoffDelay, DEFAULT_RECONNECT, FIRST_FRAME_GRACE_MS, STABLE_SESSION_MS, type ReconnectPolicy } from './reconnect-policy.ts';

export interface SuperviseCaptureOptions extends Omit<CaptureOptions, 'signal'> {
  /** Aborting stops the camera for good: a live session ends with stream-end 'stopped', then state 'stopped' and completion. */
  signal?: AbortSignal;
  reconnect?: Partial<ReconnectPolicy>;
  /** Called on every actual state change (never twice in a row with the same state). Exceptions are logged and ignored. */
  onState?: (change: CameraStateChange) => void;
  /** Source of jitter, [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * A camera that keeps itself connected: runs `captureFfmpeg` sessions one after another and
 * emits their messages as one plain concatenation (each session's stream-start ... stream-end;
 * seq restarts at 0 in each session). Frame store and flow gate are shared by all sessions.
 *
 * States (via `onState`): connecting -> live on stream-start. A session that ends with 'error'
 * or 'eof' (a live stream that ended has dropped), or that cannot open its source with a
 * retryable error (see isRetryableOpenError), goes reconnecting {error, retryInMs}, waits
 * backoffDelay(attempt), then connecting with attempt + 1. `attempt` counts the attempts since
 * the camera last worked: it goes back to 1 when a session that was live for at least
 * STABLE_SESSION_MS ends. A live session with no frame (nor live drop) for `stallTimeoutMs`
 * (the first frame after stream-start gets FIRST_FRAME_GRACE_MS more) goes stalled
 * (ERR_SOURCE_STALLED): it is stopped and its stream-end is rewritten to reason 'error' with the
 * stall error (its frame count kept), then it reconnects. The first state change has
 * `previous: 'stopped'` (the camera was not running).
 *
 * Ends (completes, never errors): non-retryable open failure -> state 'error' with the reason;
 * `signal` aborted -> state 'stopped'; a file source's eof -> 'stopped' and a file's mid-stream
 * error -> 'error' (replaying a file from the start would repeat frames). Unsubscribing stops the
 * session and every timer, and emits nothing more.
 *
 * @throws ERR_CONFIG (when called) for a policy with negative delays, multiplier < 1, jitter outside 0..1 or stallTimeoutMs <= 0.
 */
export function superviseCapture(options: SuperviseCaptureOptions): Observable<PipelineMsg> {
  const policy = resolvePolicy(options.reconnect);
  return new Observable<PipelineMsg>((subscriber) => {
    const supervisor = new Supervisor(options, policy, subscriber);
    supervisor.start();
    return () => supervisor.dispose();
  });
}

/** One captureFfmpeg run. */
interface Session {
  sub?: Subscription;
  abort: AbortController;
  liveSince?: number;
  /** Last frame (or live drop) or stream-start, epoch ms. */
  lastActivity: number;
  /** A frame arrived (or was dropped) in this session. */
  delivered: boolean;
  stall?: CaptureFailure;
  end?: StreamEndMsg;
  closed: boolean;
}

class Supervisor {
  private readonly log: Logger;
  private state: CameraState = 'stopped';
  private attempt = 1;
  private session?: Session;
  private retryTimer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private done = false;
  /** Some session reached stream-start: a device missing since then was unplugged, not mistyped. */
  private wasLive = false;
  private readonly onAbort = () => this.stop();

  constructor(
    private readonly options: SuperviseCaptureOptions,
    private readonly policy: ReconnectPolicy,
    private readonly out: Subscriber<PipelineMsg>,
  ) {
    this.log = (options.logger ?? silentLogger()).child({ stage: 'supervise-capture', camera: options.cameraId });
  }

  start(): void {
    if (this.options.signal?.aborted) return this.finish('stopped');
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.connect();
  }

  dispose(): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    const session = this.session;
    this.session = undefined;
    if (session) session.closed = true;
    session?.sub?.unsubscribe();
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.setState('connecting');
    // Every callback (onState, downstream) may unsubscribe or abort on the spot: check after each.
    if (this.done) return;
    const { signal: _signal, reconnect: _reconnect, onState: _onState, random: _random, ...capture } = this.options;
    const session: Session = { abort: new AbortController(), lastActivity: Date.now(), delivered: false, closed: false };
    this.session = session;
    const onDrop: CaptureOptions['onDrop'] = (info) => {
      this.delivered(session);
      capture.onDrop?.(info);
    };
    const sub = captureFfmpeg({ ...capture, onDrop, signal: session.abort.signal }).subscribe({
      next: (msg) => this.onMessage(session, msg),
      error: (err: unknown) => this.onOpenError(session, err),
      complete: () => this.onSessionEnd(session),
    });
    // A capture can fail synchronously (invalid options): then the session is already over.
    if (!session.closed) session.sub = sub;
  }

  private onMessage(session: Session, msg: PipelineMsg): void {
    if (msg.kind === 'stream-start') {
      session.liveSince = session.lastActivity = Date.now();
      this.wasLive = true;
    }
    else if (msg.kind === 'frame') this.delivered(session);
    else if (msg.kind === 'stream-end') {
      clearTimeout(this.stallTimer);
      if (session.stall) msg = { ...msg, reason: 'error', error: session.stall };
      session.end = msg;
    }
    // Downstream first: a listener that stops the camera on 'live' must not see stream-end before stream-start.
    this.out.next(msg);
    if (msg.kind !== 'stream-start' || session.closed) return;
    this.setState('live');
    if (!session.closed) this.armStall(session);
  }

  private onOpenError(session: Session, err: unknown): void {
    if (!this.close(session)) return;
    const failure = captureFailure(err);
    if (this.options.signal?.aborted) return this.finish('stopped');
    if (!isRetryableOpenError(this.options.source, err, { wasLive: this.wasLive })) {
      this.log.error({ error: failure }, 'camera cannot be opened; not retrying');
      return this.finish('error', failure);
    }
    this.retry(failure);
  }

  private onSessionEnd(session: Session): void {
    if (!this.close(session)) return;
    const { end, liveSince } = session;
    // No stream-end: the session was stopped before it opened anything.
    if (!end || end.reason === 'stopped' || this.options.signal?.aborted) return this.finish('stopped');
    if (this.options.source.type === 'file') return end.reason === 'eof' ? this.finish('stopped') : this.finish('error', end.error);
    if (liveSince !== undefined && Date.now() - liveSince >= STABLE_SESSION_MS) this.attempt = 1;
    this.retry(end.error ?? { code: 'ERR_SOURCE_UNREACHABLE', message: `${describeSource(this.options.source)} ended the stream` });
  }

  /** Marks the current session over; false when it is not the current one (already handled). */
  private close(session: Session): boolean {
    if (session.closed || session !== this.session || this.done) return false;
    session.closed = true;
    this.session = undefined;
    clearTimeout(this.stallTimer);
    return true;
  }

  private retry(failure: CaptureFailure): void {
    const retryInMs = backoffDelay(this.attempt, this.policy, this.options.random ?? Math.random);
    this.log.warn({ error: failure, attempt: this.attempt, retryInMs }, 'camera lost; reconnecting');
    this.setState('reconnecting', { error: failure, retryInMs });
    if (this.done) return;
    this.retryTimer = setTimeout(() => {
      this.attempt += 1;
      this.connect();
    }, retryInMs);
  }

  private delivered(session: Session): void {
    session.lastActivity = Date.now();
    session.delivered = true;
  }

  /** ffmpeg analyses the start of a stream before its first frame: that one gets a grace period. */
  private stallLimitMs(session: Session): number {
    return this.policy.stallTimeoutMs + (session.delivered ? 0 : FIRST_FRAME_GRACE_MS);
  }

  private armStall(session: Session): void {
    clearTimeout(this.stallTimer);
    const due = session.lastActivity + this.stallLimitMs(session) - Date.now();
    this.stallTimer = setTimeout(() => this.checkStall(session), Math.max(0, due));
  }

  private checkStall(session: Session): void {
    if (session.closed || session.stall) return;
    const { gate, mode, source } = this.options;
    // Replay mode: capture waiting for a credit is the pipeline's delay, not the source's.
    if (mode === 'replay' && gate.inFlight >= gate.capacity) session.lastActivity = Date.now();
    const idleMs = Date.now() - session.lastActivity;
    if (idleMs < this.stallLimitMs(session)) return this.armStall(session);
    session.stall = { code: 'ERR_SOURCE_STALLED', message: `${describeSource(source)} delivered no frame for ${idleMs} ms` };
    this.setState('stalled', { error: session.stall });
    if (session.closed) return;
    // Capture ends the stream ('stopped', rewritten with the stall error in onMessage) and completes.
    session.abort.abort();
  }

  /** `signal` aborted: a live session ends with its stream-end; otherwise stop at once. */
  private stop(): void {
    const session = this.session;
    if (this.done) return;
    if (session?.liveSince !== undefined) return session.abort.abort();
    this.finish('stopped');
  }

  private finish(state: 'stopped' | 'error', error?: CaptureFailure): void {
    if (this.done) return;
    this.dispose();
    this.setState(state, error ? { error } : {});
    this.out.complete();
  }

  private setState(state: CameraState, extra: Pick<CameraStateChange, 'error' | 'retryInMs'> = {}): void {
    if (state === this.state) return;
    const change: CameraStateChange = { cameraId: this.options.cameraId, state, previous: this.state, at: Date.now(), attempt: this.attempt, ...extra };
    this.state = state;
    this.log.debug({ state, previous: change.previous, attempt: this.attempt }, 'camera state');
    try {
      this.options.onState?.(change);
    } catch (err) {
      this.log.error({ err }, 'camera state listener threw');
    }
  }
}
