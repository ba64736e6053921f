import { WebSocket, type ClientOptions } from 'ws';

type Message = Record<string, unknown>;
type Waiter = { predicate: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * A real `ws` client for broadcaster tests: records every message and lets a test await the
 * next one matching a predicate (no sleeps). `waitFor` consumes messages in arrival order.
 */
export class WsTestClient {
  readonly ws: WebSocket;
  readonly received: Message[] = [];
  private cursor = 0;
  private waiter: Waiter | undefined;
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Message);
      this.check();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter) clearTimeout(waiter.timer);
      waiter?.reject(new Error(`connection closed (${code}) while waiting`));
    });
  }

  /** Connects and waits for the server's hello, which is returned. */
  static async connect(url: string, options?: ClientOptions): Promise<{ client: WsTestClient; hello: Message }> {
    const ws = new WebSocket(url, options);
    const client = new WsTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { client, hello: await client.waitFor((m) => m.type === 'hello') };
  }

  /** Resolves with the HTTP status the server refused the upgrade with. */
  static async refusedStatus(url: string, options?: ClientOptions): Promise<number> {
    return (await WsTestClient.refusal(url, options)).status;
  }

  /** Resolves with the HTTP status and body the server refused the upgrade with. */
  static refusal(url: string, options?: ClientOptions): Promise<{ status: number; body: string }> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          ws.terminate();
        });
      });
      ws.once('open', () => {
        ws.close();
        reject(new Error('connection was accepted'));
      });
      ws.on('error', () => undefined); // the refusal itself is what the test awaits
    });
  }

  /** The next unconsumed message matching `predicate` (earlier non-matching ones are skipped). */
  waitFor(predicate: (m: Message) => boolean, timeoutMs = 3000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(-3))}`));
      }, timeoutMs);
      this.waiter = { predicate, resolve, reject, timer };
      this.check();
    });
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }

  /** Resolves once the connection is closed (by either side). */
  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 0);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const done = this.closed();
    this.ws.close();
    await done;
  }

  private check(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    while (this.cursor < this.received.length) {
      const message = this.received[this.cursor++];
      if (waiter.predicate(message)) {
        clearTimeout(waiter.timer);
        this.waiter = undefined;
        waiter.resolve(message);
        return;
      }
    }
  }
}
