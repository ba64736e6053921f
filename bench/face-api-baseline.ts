/**
 * face-api baseline — @vladmandic/face-api's tiny face detector + expression net on every frame
 * of a clip, on one core: tfjs wasm backend with one thread. face-api's node-wasm build
 * (dist/face-api.node-wasm.js) is the one that runs on our @tensorflow/tfjs +
 * @tensorflow/tfjs-backend-wasm without a bundled tfjs (its esm-nobundle build imports tfjs's
 * unbundled ESM sources, meant for bundlers, which Node cannot load). Models are read from
 * node_modules/@vladmandic/face-api/model (never downloaded). ffmpeg decodes the clip to raw RGB
 * (one thread, its own process), and each frame goes in as a tensor.
 * frames/s here are in-process: from ffmpeg's start to the last frame's result, model loading
 * excluded (bench:pipeline also times this script as a whole process).
 * Clip: as bench:pipeline's (../shared/media/video/d6.mp4, first 10 s, 640x480; else the demo clip).
 * Last stdout line: one JSON object.
 *   npm run bench:face-api [-- --clip file.mp4 --seconds 10 --input-size 416 --score 0.5]
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { benchClip } from './bench-clip.ts';
import { probeVideo } from '../pipeline/sources/probe-video.ts';
import { ffmpegBinary } from '../pipeline/sources/ffmpeg-binary.ts';

const { values } = parseArgs({
  options: { clip: { type: 'string' }, seconds: { type: 'string' }, 'input-size': { type: 'string', default: '416' }, score: { type: 'string', default: '0.5' } },
});
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const MODEL_DIR = resolve(import.meta.dirname, '..', 'node_modules', '@vladmandic', 'face-api', 'model');

/** Raw RGB frames of `path`, decoded by ffmpeg on one thread, one Buffer per frame. */
async function* rgbFrames(path: string, width: number, height: number): AsyncGenerator<Buffer> {
  const size = width * height * 3;
  const ff = spawn(ffmpegBinary('ffmpeg'), ['-v', 'error', '-threads', '1', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ff.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((res) => ff.on('close', (code) => res(code)));
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${stderr.trim()}`);
}

const workDir = mkdtempSync(join(tmpdir(), 'es-faceapi-'));
try {
  const clip = await benchClip({ workDir, clip: values.clip, seconds: values.seconds });
  const { width, height } = await probeVideo({ type: 'file', path: clip.path });
  const tLoad = performance.now();
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.tinyFaceDetector.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceExpressionNet.loadFromDisk(MODEL_DIR);
  const loadMs = performance.now() - tLoad;
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: Number(values['input-size']), scoreThreshold: Number(values.score) });
  process.stderr.write(`face-api ${faceapi.version} (node-wasm build) on tfjs ${tf.version.tfjs} ${tf.getBackend()}, ${getThreadsCount()} thread; tiny face detector @${options.inputSize}, score >= ${options.scoreThreshold}, + expression net; clip: ${clip.name} (${width}x${height}); models loaded in ${Math.round(loadMs)} ms\n`);

  let frames = 0;
  let framesWithFaces = 0;
  let faces = 0;
  let firstFrameMs = 0;
  const labels: Record<string, number> = {};
  const t0 = performance.now();
  for await (const rgb of rgbFrames(clip.path, width, height)) {
    const tf0 = performance.now();
    const input = tf.tensor3d(new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), [height, width, 3], 'int32');
    try {
      const found = await faceapi.detectAllFaces(input, options).withFaceExpressions();
      frames++;
      faces += found.length;
      if (found.length > 0) framesWithFaces++;
      for (const f of found) {
        const [label] = Object.entries(f.expressions).sort((a, b) => b[1] - a[1])[0];
        labels[label] = (labels[label] ?? 0) + 1;
      }
    } finally {
      input.dispose();
    }
    if (frames === 1) firstFrameMs = performance.now() - tf0;
  }
  const seconds = (performance.now() - t0) / 1000;
  const fps = frames / seconds;
  process.stderr.write(`face-api: ${frames} frames in ${round(seconds)} s, ${round(fps)} frames/s in-process (models loaded before; first frame ${Math.round(firstFrameMs)} ms), ${faces} faces in ${framesWithFaces} frames\n`);
  process.stdout.write(`${JSON.stringify({
    bench: 'face-api-baseline', clip: clip.name, width, height, face_api: faceapi.version, build: 'dist/face-api.node-wasm.js', tfjs: tf.version.tfjs,
    backend: tf.getBackend(), threads: getThreadsCount(), detector: `tiny_face_detector@${options.inputSize}`, score_threshold: options.scoreThreshold,
    frames, frames_with_faces: framesWithFaces, faces, labels, seconds: round(seconds), fps: round(fps), fps_measured: 'in-process, model load excluded',
    model_load_ms: Math.round(loadMs), first_frame_ms: Math.round(firstFrameMs), loadavg: loadavg().map((x) => round(x)),
  })}\n`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
