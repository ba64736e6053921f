import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
    await waitForPort(this.port, 10_000);
  }

  /** SIGKILL: no shutdown save; what survives is what the append-only file holds. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
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
