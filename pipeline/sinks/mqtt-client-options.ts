import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { EmotionStreamError, errorMessage } from '../../common/errors.ts';
import type { MqttConfig } from '../../config/schema.ts';
import type { MqttTopics } from './mqtt-topics.ts';

/** Messages the broker publishes for us when we vanish (the last will) or we publish on connect. */
export const AVAILABILITY = { online: 'online', offline: 'offline' } as const;

/**
 * mqtt.js options from the validated config: credentials, TLS files read now (a missing or
 * unreadable file fails start-up with ERR_CONFIG naming it), and the last will that turns
 * `<prefix>/availability` to `offline` when this process dies without saying goodbye.
 */
export async function mqttClientOptions(config: MqttConfig, topics: MqttTopics): Promise<IClientOptions> {
  const [ca, cert, key] = await Promise.all([
    readPem(config.ca, 'mqtt.ca'), readPem(config.cert, 'mqtt.cert'), readPem(config.key, 'mqtt.key'),
  ]);
  return {
    clientId: config.clientId ?? `emotion-stream-${randomBytes(4).toString('hex')}`,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    will: { topic: topics.availability, payload: Buffer.from(AVAILABILITY.offline), qos: config.qos, retain: true },
    // Retry every second while the broker is away; queued messages wait in memory meanwhile (bounded by the publisher).
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    queueQoSZero: true,
  };
}

async function readPem(path: string | undefined, field: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new EmotionStreamError('ERR_CONFIG', `${field}: cannot read ${path}: ${errorMessage(err)}`, { cause: err, context: { path } });
  }
}
