import { resolve } from 'node:path';
import { loadStackConfig, envOverrides } from '../../config/load.ts';
import type { StackConfig } from '../../config/schema.ts';
import { numberFlag } from './parse-args.ts';
import { PIPELINE_FLAGS, PIPELINE_FLAGS_USAGE, pipelineOverrides } from './pipeline-flags.ts';

/** Flags of the stack commands (up, worker): the pipeline's, plus the bus and metrics. */
export const STACK_FLAGS = {
  ...PIPELINE_FLAGS,
  redis: { type: 'string' }, prefix: { type: 'string' }, 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' },
  file: { type: 'string' }, realtime: { type: 'boolean' },
} as const;

export const STACK_FLAGS_USAGE = `  --redis <url>             join the stack through Redis: redis[s]://[user:password@]host:port[/db]
                            (env EMOTION_STREAM_REDIS_URL; default: the in-memory bus, one process)
  --prefix <p>              Redis key namespace (default es)
  --metrics-port <n>        serve Prometheus /metrics on this port (env EMOTION_STREAM_METRICS_PORT)
  --metrics-host <ip>       interface for /metrics (default 127.0.0.1; env EMOTION_STREAM_METRICS_HOST)
  --file <video>            capture: replay this file (nothing dropped) instead of the config's source
  --realtime                capture: pace the file at its own frame rate
${PIPELINE_FLAGS_USAGE}`;

type Values = Record<string, string | boolean | undefined>;

/** Config layers: the file, then the environment (docker-compose), then flags. */
export function loadStackFromFlags(values: Values): StackConfig {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const env = envOverrides();
  const flags: Record<string, unknown> = {
    ...pipelineOverrides(values),
    bus: {
      ...(env.bus as object | undefined),
      ...(str('redis') ? { transport: 'redis', redisUrl: str('redis') } : {}),
      prefix: str('prefix'),
    },
    metrics: {
      ...(env.metrics as object | undefined),
      ...(str('metrics-port') ? { port: numberFlag(str('metrics-port'), 'metrics-port', 0, { integer: true }) } : {}),
      ...(str('metrics-host') ? { host: str('metrics-host') } : {}),
    },
    gateway: env.gateway,
    ...(str('file') ? { source: { type: 'file', path: resolve(str('file')!) }, mode: 'replay' } : {}),
    realtime: values.realtime === true ? true : undefined,
  };
  return loadStackConfig({ file: str('config'), overrides: flags });
}
