import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runProcess } from '../pipeline/sources/run-process.ts';
import { buildDemoClip } from '../pipeline/sources/demo-clip.ts';

/**
 * The benchmarks' 640x480 clip with faces: ../shared/media/video/d6.mp4 (the clip
 * ../shared/BENCHMARKS.md uses) cut to `seconds` and scaled when ../shared exists, else the demo
 * clip built from package-shipped photos. `clip` uses a file of the caller's instead.
 */
export async function benchClip(options: { workDir: string; clip?: string; seconds?: string }): Promise<{ path: string; name: string }> {
  if (options.clip) return { path: resolve(options.clip), name: options.clip };
  const shared = resolve(import.meta.dirname, '..', '..', 'shared', 'media', 'video', 'd6.mp4');
  const out = join(options.workDir, 'clip.mp4');
  if (existsSync(shared)) {
    const seconds = options.seconds ?? '10';
    const r = await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', shared, '-t', seconds, '-vf', 'scale=640:480', '-an', '-c:v', 'libx264', '-preset', 'veryfast', out]);
    if (r.code !== 0) throw new Error(`cannot transcode ${shared}: ${r.stderr.trim()}`);
    return { path: out, name: `shared/media/video/d6.mp4 (first ${seconds}s, 640x480)` };
  }
  return { path: await buildDemoClip({ outPath: out, width: 640, height: 480, fps: 15, secondsPerPhoto: 2 }), name: 'demo clip (face-api sample photos, 640x480)' };
}

/** The clip, the active tfjs backend, the shipped model and the notebook's detector, as every pipeline bench starts. */
export async function benchSetup(options: { workDir: string; clip?: string; seconds?: string }) {
  const { loadPipelineConfig } = await import('../config/load.ts');
  const { loadFaceDetector } = await import('../pipeline/detectors/load-face-detector.ts');
  const { TfjsEmotionClassifier } = await import('../pipeline/classifiers/tfjs-emotion-classifier.ts');
  const { initBackend } = await import('../training/engine/backend.ts');
  const { resolveModelDir, shippedModelFamily } = await import('../pipeline/models/model-registry.ts');
  const clip = await benchClip(options);
  const backend = await initBackend('auto');
  const classifier = await TfjsEmotionClassifier.load(resolveModelDir(shippedModelFamily()));
  const config = loadPipelineConfig({ overrides: { source: { type: 'file', path: clip.path }, mode: 'replay' } });
  const detector = await loadFaceDetector(config.detector);
  return { clip, backend, classifier, config, detector };
}
