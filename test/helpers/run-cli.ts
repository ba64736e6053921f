import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/emotion-stream.js: the command users run. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/emotion-stream.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the process had to be killed at the timeout (a hang). */
  timedOut: boolean;
  ms: number;
}

/**
 * Runs `node bin/emotion-stream.js ...args` in `cwd` and collects its output. A process still
 * running after `timeoutMs` is killed and reported with `timedOut`, so a hang fails the test
 * instead of stalling the run. The child inherits this process's niceness.
 */
export function runCli(args: string[], options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd,
    // No DEBUG: stacks must not appear unless asked for; no TTY, so no progress bar.
    env: { ...process.env, DEBUG: '', FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

/** Non-empty lines of a stream's output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}
