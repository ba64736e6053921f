import { spawn } from 'node:child_process';
import { spawnError } from './spawn-error.ts';

/** What a finished short-lived process (ffprobe, a one-off ffmpeg encode) left behind. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the process was killed because it outlived `timeoutMs`. */
  timedOut: boolean;
}

/**
 * Runs `binary args...` to completion, collecting its output. A process still running after
 * `timeoutMs` is killed (SIGKILL) and reported with `timedOut`, so a camera that never answers
 * cannot hang start-up. Rejects only when the binary cannot start (ERR_FFMPEG_MISSING).
 */
export function runProcess(binary: string, args: string[], options: { timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (cause) => {
      clearTimeout(timer);
      reject(spawnError(cause, binary));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
      resolve({ code, signal, stdout: text(out), stderr: text(err), timedOut });
    });
  });
}
