import { Subject, concatMap, from, type OperatorFunction, type Subscription } from 'rxjs';
import type { FrameStore } from '../frames/frame-store.ts';
import { DecodingFrameStore } from '../frames/decoding-frame-store.ts';
import { isFrameStageMsg, type FrameStageMsg, type PipelineMsg } from '../messages.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Bus, Consumer } from '../bus/transport.ts';
import { PoisonMessageError } from '../bus/transport.ts';
import { jobId, parseEnvelope, type BusEnvelope, type StageQueue } from './bus-envelope.ts';
import { fetchFrame } from './bus-frames.ts';

export interface QueueStageOptions {
  bus: Bus;
  /** Queue this stage takes frame messages from. */
  from: StageQueue;
  /** Jobs in hand at once: detect runs that many frames in parallel, classify batches them. */
  concurrency: number;
  /** The stage's own operator, built once over a worker-local frame store the runner fills. */
  operator: (frameStore: FrameStore) => OperatorFunction<PipelineMsg, PipelineMsg>;
  /** Where a processed message goes next. */
  route: (env: BusEnvelope) => StageQueue;
  logger?: Logger;
}

interface Waiter {
  env: BusEnvelope;
  resolve: (out: PipelineMsg) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs an unchanged stage operator (detect-faces, classify-emotion) as a queue worker:
 * each job's frame is fetched from the shared store into a local one (decoded there when the
 * stage first reads its pixels), its message goes into the operator, and the operator's output
 * is added to the next queue before the job completes (so a worker killed mid-job leaves the job
 * to be redone, and the deterministic job id deduplicates the redo's output). Jobs in hand flow
 * through the operator together, which is what lets classify-emotion batch faces across frames.
 */
export class QueueStageRunner {
  private readonly input = new Subject<PipelineMsg>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly local = new DecodingFrameStore();
  private readonly logger: Logger;
  private subscription: Subscription | undefined;
  private consumer: Consumer | undefined;

  constructor(private readonly options: QueueStageOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ queue: options.from });
  }

  start(): this {
    this.subscribe();
    this.consumer = this.options.bus.queue<BusEnvelope>(this.options.from)
      .consume((job) => this.handle(job.data), { concurrency: this.options.concurrency });
    this.logger.info({ concurrency: this.options.concurrency, transport: this.options.bus.transport }, 'stage worker consuming');
    return this;
  }

  /** Drains: no new jobs, jobs in hand finish and are forwarded. */
  async stop(force = false): Promise<void> {
    await this.consumer?.close(force);
    this.subscription?.unsubscribe();
  }

  private subscribe(): void {
    this.subscription = this.input.pipe(this.options.operator(this.local), concatMap((out) => from(this.settle(out)))).subscribe({
      // Stages never error on a bad frame; an error here is a bug or a dead dependency: fail the
      // jobs in hand (they are retried) and keep consuming with a fresh operator.
      error: (err) => {
        this.logger.error({ err }, 'stage operator failed: jobs in hand will be retried');
        for (const list of this.waiters.values()) for (const w of list) w.reject(err);
        this.waiters.clear();
        this.subscribe();
      },
    });
  }

  private async handle(data: unknown): Promise<void> {
    const env = parseEnvelope(data);
    if (!isFrameStageMsg(env.msg as PipelineMsg)) throw new PoisonMessageError(`${this.options.from} queue takes frame messages, got ${env.msg.kind}`);
    const msg = env.msg as FrameStageMsg;
    const key = msg.meta.frameKey;
    // Missing pixels (expired) are the stage's to report: it puts ERR_FRAME_MISSING on the message.
    await fetchFrame(this.options.bus, key, this.local);
    try {
      const out = await new Promise<PipelineMsg>((resolve, reject) => {
        const list = this.waiters.get(key) ?? [];
        list.push({ env, resolve, reject });
        this.waiters.set(key, list);
        this.input.next(msg);
      });
      const next: BusEnvelope = { ...env, msg: out };
      const queue = this.options.route(next);
      await this.options.bus.queue<BusEnvelope>(queue).add(jobId(next, queue), next);
    } finally {
      if (!this.waiters.has(key)) this.local.delete(key);
    }
  }

  private async settle(out: PipelineMsg): Promise<void> {
    if (!isFrameStageMsg(out)) return;
    const key = out.meta.frameKey;
    const list = this.waiters.get(key);
    const waiter = list?.shift();
    if (list && list.length === 0) this.waiters.delete(key);
    if (!waiter) {
      this.logger.warn({ frameKey: key }, 'stage output without a waiting job (dropped)');
      return;
    }
    waiter.resolve(out);
  }
}
