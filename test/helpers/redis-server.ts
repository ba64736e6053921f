import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** Below Linux's ephemeral range (32768-60999), where no outgoing connection takes a local port. */
const SERVER_PORTS = { from: 20_000, to: 32_000 };

/**
 * A free TCP port on 127.0.0.1 for a test's server, outside the ephemeral range: a test stops
 * servers and starts them again on the same port, and while one is down a client reconnecting to
 * 127.0.0.1:<ephemeral port> can be handed that very port as its own and connect to itself (TCP
 * simultaneous open), or any process's outgoing connection may hold it; the restart cannot bind.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = SERVER_PORTS.from + Math.floor(Math.random() * (SERVER_PORTS.to - SERVER_PORTS.from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${SERVER_PORTS.from}-${SERVER_PORTS.to} after 50 tries`);
}

/**
 * A test-owned redis-server with an append-only file fsynced on every write, so a test can
 * SIGKILL it and start it again on the same port and directory without losing a queued job
 * (what a production Redis for BullMQ is configured to do).
 */
export class TestRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number, readonly dir: string, private readonly extraArgs: string[]) {}

  /** `extraArgs`: more redis-server options, e.g. ['--requirepass', 'secret']. */
  static async start(dir: string, extraArgs: string[] = []): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), dir, extraArgs);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
      '--dir', this.dir, '--maxmemory-policy', 'noeviction', ...this.extraArgs,
    ], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`redis-server could not start (is it installed?): ${err.message}`)));
      child.once('spawn', () => resolve());
    });
    this.child = child;
    // A server that cannot bind its port exits at once: say so rather than wait out the PINGs.
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${this.port} exited (${signal ?? `code ${code}`}) before answering PING`)));
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPort(this.port, 10_000), exited]);
  }

  /** SIGKILL: no shutdown save; what survives is what the append-only file holds. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('PING\r\n');
        // A server with a password answers NOAUTH: it is up all the same.
        socket.once('data', (d) => { socket.destroy(); resolve(/PONG|NOAUTH/.test(String(d))); });
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
