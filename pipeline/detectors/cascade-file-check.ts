import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { EmotionStreamError } from '../../common/errors.ts';
import { VerifiedCascades } from './verified-cascades.ts';

const run = promisify(execFile);
const OPENCV_ENTRY = createRequire(import.meta.url).resolve('@u4/opencv4nodejs');

// Runs in a throwaway node process: parse the cascade, then run it once on a blank image.
const PROBE = `
const cv = require(process.argv[1]);
const classifier = new cv.CascadeClassifier(process.argv[2]);
classifier.detectMultiScale(new cv.Mat(64, 64, cv.CV_8UC1, 0));
`;

/**
 * Checks that `path` is a cascade file OpenCV can load and run, before the pipeline loads it.
 *
 * Why a child process: OpenCV's XML reader throws C++ exceptions that the binding does not catch
 * in the CascadeClassifier constructor, so a malformed or non-cascade file aborts the whole
 * process (SIGABRT), and a missing file yields a silently empty classifier. Parsing it first in
 * a throwaway process (0.5 s alone, up to 1.4 s beside the rest of start-up) turns both into a
 * coded error. A file that passed is remembered (VerifiedCascades) and not checked again until
 * it changes.
 *
 * @param cacheDir where passed checks are remembered (VerifiedCascades' default folder otherwise).
 * @throws ERR_DETECTOR_LOAD with `context.path` when the file is missing, unreadable or invalid.
 */
export async function checkCascadeFile(path: string, cacheDir?: string): Promise<void> {
  const info = await stat(path).catch((err: unknown) => {
    throw loadError(path, 'does not exist or cannot be read', err);
  });
  if (!info.isFile()) throw loadError(path, 'is not a file');
  const verified = new VerifiedCascades(OPENCV_ENTRY, cacheDir);
  if (verified.has(path, info)) return;
  try {
    await run(process.execPath, ['-e', PROBE, OPENCV_ENTRY, path], { timeout: 60_000, env: process.env });
  } catch (err) {
    throw loadError(path, `is not a valid OpenCV cascade (${probeFailure(err)})`, err);
  }
  verified.remember(path, info);
}

function loadError(path: string, what: string, cause?: unknown): EmotionStreamError {
  return new EmotionStreamError('ERR_DETECTOR_LOAD', `cascade file ${path} ${what}`, { cause, context: { path } });
}

/** The most telling line of the probe's stderr: OpenCV's own error text when there is one. */
function probeFailure(err: unknown): string {
  const { stderr, signal, code } = err as { stderr?: string; signal?: string; code?: number };
  const lines = (stderr ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
  const opencvLine = lines.find((line) => line.includes('OpenCV Error') || line.includes("Can't open"));
  return opencvLine ?? lines[0] ?? `probe exited with ${signal ?? code}`;
}
