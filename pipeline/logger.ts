import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logger. Logs go to stderr so stdout stays free for machine-readable output
 * (benchmarks' JSON line, `evaluate --json`). Log an error as `{ err }` (the Error itself): pino's
 * standard `err` serializer writes its type, stack and message, with the `cause` chain appended
 * to both ("outer: inner", "caused by: ...").
 */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino({ name: options.name ?? 'emotion-stream', level }, options.destination ?? pino.destination(2));
}

/** A logger that discards everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
