import type { ChildProcess } from 'node:child_process';
import ffmpeg, { type FfmpegCommand, type FfmpegCommandOptions } from 'fluent-ffmpeg';
import { assertExecutable } from './executable.ts';
import { spawnError } from './spawn-error.ts';

/**
 * A fluent-ffmpeg command that will run `binary` (resolved by ffmpegBinary()).
 *
 * - The binary is checked before fluent-ffmpeg sees it: fluent-ffmpeg 2.1.3 throws an uncaught
 *   TypeError when a spawn fails once its capability cache is warm (upstream issue #1316).
 * - setFfmpegPath is process-wide in fluent-ffmpeg and read just before each spawn; every caller
 *   resolves it the same way (explicit path, FFMPEG_PATH, PATH), so they agree on it.
 *
 * @throws ERR_FFMPEG_MISSING when `binary` is not an executable file.
 */
export function ffmpegCommand(binary: string, options: FfmpegCommandOptions = {}): FfmpegCommand {
  assertExecutable(binary);
  return ffmpeg(options).setFfmpegPath(binary);
}

/**
 * The running ffmpeg process of `command`, from 'start' until it ends. fluent-ffmpeg keeps it
 * as `ffmpegProc` (not in its typings); exit codes, pids and pipe-level control need it.
 */
export function ffmpegProcess(command: FfmpegCommand): ChildProcess | undefined {
  return (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
}

/**
 * Resolves with the command's ffmpeg process once it has spawned. Rejects with ERR_FFMPEG_MISSING
 * when it cannot start, or with fluent-ffmpeg's own error when it refuses to run (e.g. a format
 * this ffmpeg build lacks). Call before run().
 */
export function spawnedProcess(command: FfmpegCommand, binary: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err.syscall?.startsWith('spawn') ? spawnError(err, binary) : err);
    command.once('error', onError);
    command.once('start', () => {
      const proc = ffmpegProcess(command)!;
      proc.once('spawn', () => {
        command.off('error', onError);
        resolve(proc);
      });
    });
  });
}

/** How a command ended: `error` unless ffmpeg exited 0; `stderr` holds its last lines. */
export interface CommandEnd {
  error?: Error;
  stderr: string;
}

/**
 * Settles once fluent-ffmpeg reports the command over: by then ffmpeg has exited and its stderr
 * has been read to the end (every 'stderr' line delivered). Call before run().
 */
export function commandEnded(command: FfmpegCommand): Promise<CommandEnd> {
  return new Promise((resolve) => {
    command.once('end', (_stdout: string | null, stderr: string | null) => resolve({ stderr: stderr ?? '' }));
    // `on`, not `once`: an 'error' without a listener would be thrown by the EventEmitter.
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => resolve({ error, stderr: stderr ?? '' }));
  });
}

/** Exit code and signal of a process that has exited (null, null before). */
export function exitOf(proc: ChildProcess | undefined): { code: number | null; signal: NodeJS.Signals | null } {
  return { code: proc?.exitCode ?? null, signal: proc?.signalCode ?? null };
}

/**
 * Fills fluent-ffmpeg's process-wide capability cache (formats, encoders) ahead of the first
 * command. Every command checks both before it spawns, and the two `ffmpeg -formats` /
 * `-encoders` runs (about 0.6 s here, one after the other) otherwise sit on the path to the first
 * frame. Start it beside other start-up work; a failure is left for the real command to report.
 */
export function warmFfmpegCapabilities(binary: string): Promise<void> {
  return new Promise((resolve) => {
    let command: FfmpegCommand;
    try {
      command = ffmpegCommand(binary);
    } catch {
      resolve(); // a missing binary: the capture's own start reports it with its context
      return;
    }
    let pending = 2;
    const settled = () => { pending -= 1; if (pending === 0) resolve(); };
    command.availableFormats(settled);
    command.availableEncoders(settled);
  });
}
