import { mergeMap, from } from 'rxjs';
import { EMOTIONS, type ClassificationsMsg, type ClassifiedFace, type DetectionsMsg, type EmotionScores, type PipelineMsg } from '../messages.ts';
import type { FrameStore } from '../frames/frame-store.ts';
import type { EmotionClassifier } from '../classifiers/emotion-classifier.ts';
import { cropFaces } from '../classifiers/face-crops.ts';
import { batchWhileBusy } from '../flow/batch-while-busy.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { stageFault } from '../stage-fault.ts';
import type { Stage } from '../stage.ts';
import type { Logger } from '../logger.ts';

export interface ClassifyEmotionDeps {
  classifier: EmotionClassifier;
  frameStore: FrameStore;
  /** Most faces in one predict() call (default 64). */
  maxBatchFaces?: number;
  logger?: Logger;
}

/**
 * classify-emotion: turns `detections` into `classifications`. The faces of every frame that
 * queued up while the thread was busy go through ONE batched predict. A frame whose crops
 * fail gets a fault and no faces; the stream continues.
 */
export const classifyEmotion: Stage<ClassifyEmotionDeps> = (deps) => {
  const maxFaces = deps.maxBatchFaces ?? 64;
  return (source) => source.pipe(
    batchWhileBusy<PipelineMsg>(maxFaces),
    mergeMap((batch) => from(classifyBatch(batch, deps, maxFaces))),
  );
};

function classifyBatch(batch: PipelineMsg[], deps: ClassifyEmotionDeps, maxFaces: number): PipelineMsg[] {
  const size = deps.classifier.inputSize;
  const jobs: { msg: DetectionsMsg; crops?: Float32Array; fault?: ClassificationsMsg['fault'] }[] = [];
  for (const msg of batch) {
    if (msg.kind !== 'detections') continue;
    if (msg.faces.length === 0 || msg.fault) { jobs.push({ msg }); continue; }
    try {
      const pixels = deps.frameStore.get(msg.meta.frameKey);
      jobs.push({ msg, crops: cropFaces({ pixels, width: msg.meta.width, height: msg.meta.height }, msg.faces.map((f) => f.boxPx), size) });
    } catch (err) {
      jobs.push({ msg, fault: fault(err) });
    }
  }
  const started = performance.now();
  const scores = predictAll(jobs.map((j) => j.crops), size, deps, maxFaces);
  // Frames of one batch share the predict call, so each reports the batch's time.
  const ms = performance.now() - started;
  const results = new Map<DetectionsMsg, PipelineMsg>();
  jobs.forEach((job, i) => {
    const out = toClassifications(job.msg, scores[i], job.fault, deps.classifier.version);
    results.set(job.msg, { ...out, timings: { ...job.msg.timings, classify: ms } });
  });
  return batch.map((msg) => (msg.kind === 'detections' ? results.get(msg)! : msg));
}

/** One predict over every crop of the batch (chunked at maxFaces), split back per frame. */
function predictAll(crops: (Float32Array | undefined)[], size: number, deps: ClassifyEmotionDeps, maxFaces: number): (EmotionScores[] | Error)[] {
  const px = size * size;
  const total = crops.reduce((n, c) => n + (c ? c.length / px : 0), 0);
  const all = new Float32Array(total * px);
  let offset = 0;
  for (const c of crops) if (c) { all.set(c, offset); offset += c.length; }
  let scores: EmotionScores[];
  try {
    scores = [];
    for (let i = 0; i < total; i += maxFaces) {
      const n = Math.min(maxFaces, total - i);
      scores.push(...deps.classifier.classify(all.subarray(i * px, (i + n) * px), n));
    }
    // Splitting a short answer back per frame would hand faces someone else's scores (or none).
    if (scores.length !== total) {
      throw new EmotionStreamError('ERR_CLASSIFY', `classifier ${deps.classifier.version} returned ${scores.length} score vectors for ${total} faces`);
    }
  } catch (err) {
    deps.logger?.warn({ err, faces: total }, 'classification failed for a batch');
    return crops.map(() => err as Error);
  }
  deps.logger?.debug({ faces: total, frames: crops.length }, 'classified batch');
  let next = 0;
  return crops.map((c) => {
    const n = c ? c.length / px : 0;
    const mine = scores.slice(next, next + n);
    next += n;
    return mine;
  });
}

function toClassifications(msg: DetectionsMsg, scores: EmotionScores[] | Error, preFault: ClassificationsMsg['fault'], modelVersion: string): ClassificationsMsg {
  const base = { kind: 'classifications' as const, v: 1 as const, meta: msg.meta, modelVersion, timings: msg.timings };
  if (msg.fault) return { ...base, faces: [], fault: msg.fault };
  if (preFault) return { ...base, faces: [], fault: preFault };
  if (scores instanceof Error) return { ...base, faces: [], fault: fault(scores) };
  const faces: ClassifiedFace[] = msg.faces.map((f, i) => {
    const s = scores[i];
    const label = EMOTIONS.reduce((best, e) => (s[e] > s[best] ? e : best), EMOTIONS[0]);
    return { ...f, label, confidence: s[label], scores: s };
  });
  return { ...base, faces };
}

const STAGE = 'classify-emotion';

function fault(err: unknown): NonNullable<ClassificationsMsg['fault']> {
  return stageFault(STAGE, err, 'ERR_CLASSIFY');
}
