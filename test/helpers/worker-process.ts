import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_BIN } from './run-cli.ts';

/**
 * `emotion-stream worker <stages...>` as a real child process, its JSON log lines collected.
 * `ready()` resolves on the stack's 'workers ready' line; `exited` with the exit code and stdout.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly name: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
    this.child = spawn(process.execPath, [CLI_BIN, 'worker', ...args], {
      cwd: options.cwd, env: { ...process.env, DEBUG: '', FORCE_COLOR: '0', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => { this.stdout += d; });
    let partial = '';
    this.child.stderr!.on('data', (d) => {
      this.stderr += d;
      const text = partial + String(d);
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try { this.logs.push(JSON.parse(line) as Record<string, unknown>); } catch { /* a non-JSON line (a one-line CLI error) stays in stderr */ }
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once a log line matches, or rejects (with the stderr tail) on exit or timeout. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const hit = this.logs.find(predicate);
        if (hit) { clearInterval(poll); resolve(hit); return; }
        if (this.child.exitCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`${this.name}: ${this.child.exitCode !== null ? `exited ${this.child.exitCode}` : 'timed out'} before the expected log line; stderr tail:\n${this.stderr.slice(-1500)}`));
        }
      }, 50);
    });
  }

  ready(timeoutMs = 90_000): Promise<Record<string, unknown>> {
    return this.waitForLog((l) => l.msg === 'workers ready', timeoutMs);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<unknown> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    this.child.kill(signal);
    return this.exited;
  }
}
