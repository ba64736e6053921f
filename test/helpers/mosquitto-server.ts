import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from './redis-server.ts';

/**
 * A test-owned mosquitto broker on a free port of 127.0.0.1, from a generated config file; with
 * `users` it refuses anonymous clients and checks passwords (a file made by mosquitto_passwd).
 * With `persistent` it saves sessions and retained messages in `dir` when stopped gracefully, so
 * a restart on the same port keeps a subscriber's queued messages; otherwise a restart forgets all.
 */
export class TestMosquitto {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly configPath: string) {}

  static async start(dir: string, options: { users?: Record<string, string>; port?: number; persistent?: boolean } = {}): Promise<TestMosquitto> {
    const port = options.port ?? (await freePort());
    // Started as root, mosquitto would drop to the `mosquitto` user, who cannot read the test's private files.
    const lines = [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, ...(options.persistent ? ['persistence true', `persistence_location ${dir}/`, `persistence_file mosquitto-${port}.db`] : ['persistence false'])];
    if (options.users) {
      const passwords = join(dir, `mosquitto-${port}.passwd`);
      writeFileSync(passwords, '');
      for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', passwords, user, password]);
      lines.push('allow_anonymous false', `password_file ${passwords}`);
    } else {
      lines.push('allow_anonymous true');
    }
    const configPath = join(dir, `mosquitto-${port}.conf`);
    writeFileSync(configPath, `${lines.join('\n')}\n`);
    const server = new TestMosquitto(port, configPath);
    await server.launch();
    return server;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts the broker again (after stop()) on the same port and config. */
  async launch(): Promise<void> {
    const child = spawn(mosquittoBinary(), ['-c', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`mosquitto could not start (apt-get install mosquitto): ${err.message}`)));
      child.once('spawn', () => resolve());
    });
    this.child = child;
    // A broker that cannot bind or read its config exits at once: say so rather than wait.
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`mosquitto on port ${this.port} exited (${signal ?? `code ${code}`}): ${stderr.trim()}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([waitForListener(this.port), exited]);
  }

  /**
   * Stops the broker and waits for it to exit: SIGKILL by default (clients see their connection
   * drop); `graceful` sends SIGTERM, on which a persistent broker saves its state.
   */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(options.graceful ? 'SIGTERM' : 'SIGKILL');
    await exited;
  }
}

/** Debian installs the broker in /usr/sbin, which a normal user's PATH often lacks. */
function mosquittoBinary(): string {
  return existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
}

async function waitForListener(port: number): Promise<void> {
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One message as a subscriber received it. `retain` is set for retained messages delivered on subscribe. */
export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

/**
 * A subscriber that records every message under `filter` (e.g. "emotion-stream/#") and lets a test
 * wait for the one it expects, with no time limit of its own (the test runner's per-file limit
 * catches a hang).
 */
export class MqttRecorder {
  readonly messages: ReceivedMessage[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain });
      for (const wake of this.waiters) wake();
    });
  }

  /** `clientId` with `clean: false` makes a persistent session: the broker queues QoS 1 messages while it is away. */
  static async subscribe(url: string, filter: string, options: { username?: string; password?: string; clientId?: string; clean?: boolean } = {}): Promise<MqttRecorder> {
    // Listening before the connection: a persistent session's queued messages come right after CONNACK.
    const client = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
    const recorder = new MqttRecorder(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(filter, { qos: 1 });
    return recorder;
  }

  /** Messages on `topic`, in arrival order. */
  on(topic: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** JSON payloads on `topic` (empty payloads, i.e. cleared states, left out). */
  json<T = Record<string, unknown>>(topic: string): T[] {
    return this.on(topic).filter((m) => m.payload !== '').map((m) => JSON.parse(m.payload) as T);
  }

  /** Resolves with the first recorded message that matches, waiting for it if need be. */
  waitFor(match: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const wake = () => {
        const hit = this.messages.find(match);
        if (!hit) return;
        this.waiters.delete(wake);
        resolve(hit);
      };
      this.waiters.add(wake);
    });
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/**
 * The retained messages under `filter` now: subscribes with a fresh client, and since retained
 * messages are sent right after SUBACK, a message published by the recorder itself on a private
 * topic after subscribing marks the end of them.
 */
export async function retainedMessages(url: string, filter: string, options: { username?: string; password?: string } = {}): Promise<Map<string, string>> {
  const recorder = await MqttRecorder.subscribe(url, filter, options);
  try {
    const marker = `es-test-marker/${Math.random().toString(16).slice(2)}`;
    await recorder.client.subscribeAsync(marker, { qos: 1 });
    await recorder.client.publishAsync(marker, 'end', { qos: 1 });
    await recorder.waitFor((m) => m.topic === marker);
    return new Map(recorder.messages.filter((m) => m.retain && m.topic !== marker).map((m) => [m.topic, m.payload]));
  } finally {
    await recorder.close();
  }
}
