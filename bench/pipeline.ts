/**
 * bench:pipeline — a 640x480 clip with faces through the embedded pipeline (replay, every
 * frame detected and classified), against the seed notebook's loop measured in the same run:
 * one frame at a time, detect, then one predict() per face.
 * Clip: ../shared/media/video/d6.mp4 scaled to 640x480 when ../shared exists (the clip
 * ../shared/BENCHMARKS.md uses), else the demo clip built from package-shipped photos.
 * Last line: one JSON object.   npm run bench:pipeline [-- --clip file.mp4]
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { concatMap, lastValueFrom, from, toArray } from 'rxjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { benchSetup } from './bench-clip.ts';
import { runPipeline } from '../pipeline/compose.ts';
import { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { cropFaces } from '../pipeline/classifiers/face-crops.ts';
import { captureFfmpeg } from '../pipeline/sources/capture-ffmpeg.ts';
import { InMemoryFrameStore } from '../pipeline/frames/frame-store.ts';
import { FlowGate } from '../pipeline/flow/flow-gate.ts';
import type { FaceDetector } from '../pipeline/detectors/face-detector.ts';

const { values } = parseArgs({ options: { clip: { type: 'string' }, seconds: { type: 'string' } } });
const workDir = mkdtempSync(join(tmpdir(), 'es-bench-'));

/** The notebook's loop: frame by frame, detect, then predict each face on its own. */
async function notebookLoop(clip: string, detector: FaceDetector, classifier: TfjsEmotionClassifier): Promise<{ frames: number; fps: number }> {
  const frameStore = new InMemoryFrameStore();
  const gate = new FlowGate(1);
  const t0 = performance.now();
  const done = await lastValueFrom(captureFfmpeg({ source: { type: 'file', path: clip }, cameraId: 'nb', frameStore, gate, mode: 'replay' }).pipe(
    concatMap((msg) => from((async () => {
      if (msg.kind !== 'frame') return 0;
      const frame = { pixels: frameStore.get(msg.meta.frameKey), width: msg.meta.width, height: msg.meta.height };
      const boxes = await detector.detect(frame);
      for (const box of boxes) classifier.classify(cropFaces(frame, [box], classifier.inputSize), 1);
      frameStore.delete(msg.meta.frameKey);
      gate.release();
      return 1;
    })())),
    toArray(),
  ));
  const frames = done.reduce((a: number, b: number) => a + b, 0);
  return { frames, fps: frames / ((performance.now() - t0) / 1000) };
}

try {
  const { clip, backend, classifier, config, detector } = await benchSetup({ workDir, clip: values.clip, seconds: values.seconds });
  process.stderr.write(`clip: ${clip.name}; model ${classifier.version} on ${backend}\n`);
  const baseline = await notebookLoop(clip.path, detector, classifier);
  process.stderr.write(`notebook loop (sequential, one predict per face): ${baseline.frames} frames, ${baseline.fps.toFixed(1)} frames/s\n`);
  const summary = await runPipeline(config, { detector, classifier, sinks: [] }).done;
  process.stderr.write(`pipeline: ${summary.frames} frames, ${summary.fps} frames/s, ${summary.faces} faces\n`);
  for (const [stage, s] of Object.entries(summary.stageMs)) process.stderr.write(`  ${stage.padEnd(9)} mean ${s.mean} ms  p50 ${s.p50}  p95 ${s.p95}\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'pipeline', clip: clip.name, backend, model: classifier.version, width: summary.width, height: summary.height,
    frames: summary.frames, faces: summary.faces, fps: summary.fps, stage_ms: summary.stageMs,
    baseline_notebook_loop_fps: Math.round(baseline.fps * 100) / 100, speedup_vs_notebook_loop: Math.round((summary.fps / baseline.fps) * 100) / 100,
  })}\n`);
  detector.dispose?.();
  classifier.dispose();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
