import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logger. Logs go to stderr so stdout stays free for machine-readable output
 * (benchmarks' JSON line, `evaluate --json`).
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino({ name: options.name ?? 'emotion-stream', level }, pino.destination(2));
}

/** A logger that discards everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
