import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runProcess } from '../../pipeline/sources/run-process.ts';
import { freePort } from './redis-server.ts';

/**
 * A real RTSP server for tests and benchmarks: Debian's `rtsp-server-perl` (package
 * rtsp-server-perl; scripts/setup.sh installs it), with ffmpeg publishers feeding it.
 *
 *     const server = await TestRtspServer.start();
 *     const publisher = await server.publish(clipPath);        // ffmpeg -re -stream_loop -1 ... -f rtsp
 *     const source = { type: 'rtsp', url: server.playUrl(), transport: 'udp' };
 *     ...
 *     await server.restart(2000);                              // same ports; publishers are gone: publish again
 *     await server.stop();                                     // server and every publisher
 *
 * How the server works, and what that means for a test:
 * - Two TCP ports: sources (publishers) ANNOUNCE/RECORD on `sourcePort`, players DESCRIBE/SETUP/PLAY
 *   on `clientPort`, both with the same path (`/cam`). Media is relayed as RTP over UDP only (no
 *   RTP-over-TCP, in either direction): play with transport 'udp'.
 * - The server receives each source's RTP on UDP `rtpStartPort` and `rtpStartPort + 1`, and
 *   counts up by 2 for every SETUP. Its RTP port counter falls back to a hard-coded 20000 whenever
 *   no stream is mounted, whatever `--rtp_start_port` says, so two servers on one machine would
 *   collide there; the server is therefore run through a tiny Perl wrapper that also sets that
 *   fallback (`$RTSP::Server::RTP_START_PORT`) to `rtpStartPort`, and switches stdout
 *   to autoflush so its log arrives as it is written.
 * - Killing the server ends every player's ffmpeg at once with a clean exit (it sees EOF, not an
 *   error) and every publisher (broken pipe): after `restart()`, `publish()` again.
 * - A publisher that dies without an RTSP TEARDOWN (`kill('SIGKILL')`) leaves its mount behind:
 *   players stay connected but receive nothing (a stalled camera), and publishing that path again
 *   is refused (403) until the server restarts. `kill('SIGINT')` tears down cleanly.
 * - Startup takes ~0.5-1 s (Perl + Moose); `start()`/`launch()` resolve once both ports listen.
 * - A player that joins mid-GOP decodes nothing until the next keyframe, and the demo clip has a
 *   single keyframe per loop (libx264's default GOP is longer than the clip): publish a copy
 *   made by `withKeyframesEvery()` so players (and stall timers) see frames within a GOP.
 */
export class TestRtspServer {
  readonly host = '127.0.0.1';
  private process?: ManagedProcess;
  private readonly publishers = new Set<RtspPublisher>();

  private constructor(
    readonly clientPort: number,
    readonly sourcePort: number,
    readonly rtpStartPort: number,
    private readonly options: RtspServerOptions,
  ) {}

  /** Starts a server on free ports (or the given ones). Rejects, with the server's own words, when it cannot start. */
  static async start(options: RtspServerOptions = {}): Promise<TestRtspServer> {
    const clientPort = options.clientPort ?? (await freePort());
    const sourcePort = options.sourcePort ?? (await freePort());
    const rtpStartPort = options.rtpStartPort ?? (await freeUdpPortPair());
    const server = new TestRtspServer(clientPort, sourcePort, rtpStartPort, options);
    await server.launch();
    return server;
  }

  /** Where players read `path`: rtsp://127.0.0.1:<clientPort><path> (transport 'udp'). */
  playUrl(path = '/cam'): string {
    return `rtsp://${this.host}:${this.clientPort}${path}`;
  }

  /** Where publishers send `path`: rtsp://127.0.0.1:<sourcePort><path>. */
  publishUrl(path = '/cam'): string {
    return `rtsp://${this.host}:${this.sourcePort}${path}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** The server's recent output (log level `logLevel`), for failure messages. */
  get log(): string {
    return this.process?.output ?? '';
  }

  /** Starts the server (again) on its ports; resolves once it listens on both. */
  async launch(): Promise<void> {
    if (this.running) throw new Error('rtsp-server-perl is already running');
    const logLevel = Math.max(3, this.options.logLevel ?? 4);
    const args = [
      '-e', PERL_WRAPPER, String(this.rtpStartPort), serverExecutable(),
      '--clientport', String(this.clientPort), '--serverport', String(this.sourcePort),
      '--client_listen_address', this.host, '--source_listen_address', this.host,
      '--rtp_start_port', String(this.rtpStartPort), '--loglevel', String(logLevel),
    ];
    this.process = new ManagedProcess('rtsp-server-perl', 'perl', args);
    // The last line the server prints once both listeners are up (the source server starts first).
    await this.process.waitFor(/Client server started/, this.options.startTimeoutMs ?? 15_000);
  }

  /** Ends the server (SIGKILL by default: an abrupt crash). Publishers exit by themselves; players see EOF. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.process?.kill(signal);
  }

  /** Kills the server, waits `downMs`, starts it again on the same ports. Publish again afterwards. */
  async restart(downMs = 0): Promise<void> {
    await this.kill();
    await Promise.all([...this.publishers].map((p) => p.exited));
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }

  /**
   * Publishes `clipPath` at `path` with ffmpeg, in real time and looped forever by default:
   * `ffmpeg -re -stream_loop -1 -i <clip> -c copy -f rtsp -rtsp_transport udp <publishUrl>`.
   * Resolves once ffmpeg is streaming (its first progress report, i.e. after RECORD succeeded).
   */
  async publish(clipPath: string, options: PublishOptions = {}): Promise<RtspPublisher> {
    const url = this.publishUrl(options.path);
    const loop = (options.loop ?? true) ? ['-stream_loop', '-1'] : [];
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'warning', '-nostats', '-progress', 'pipe:1',
      '-re', ...loop, '-i', clipPath, '-c', 'copy', '-f', 'rtsp', '-rtsp_transport', 'udp', url,
    ];
    const publisher = new RtspPublisher(url, new ManagedProcess(`ffmpeg publisher ${url}`, 'ffmpeg', args));
    this.publishers.add(publisher);
    void publisher.exited.then(() => this.publishers.delete(publisher));
    await publisher.ready(options.startTimeoutMs ?? 15_000);
    return publisher;
  }

  /** Stops every publisher (cleanly) and the server. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all([...this.publishers].map((p) => p.kill('SIGINT')));
    await this.kill('SIGTERM');
  }
}

export interface RtspServerOptions {
  clientPort?: number;
  sourcePort?: number;
  /** First UDP port of the RTP range (default: a free pair). */
  rtpStartPort?: number;
  /** 3 (info: connections, mounts) to 5 (trace: every RTSP line); default 4 (debug). Lower values are raised to 3. */
  logLevel?: number;
  startTimeoutMs?: number;
}

export interface PublishOptions {
  /** Mount path, default '/cam'. */
  path?: string;
  /** Loop the clip forever (default true). */
  loop?: boolean;
  startTimeoutMs?: number;
}

/**
 * Re-encodes `inputPath` to `outputPath` (H.264, no audio) with a keyframe every `frames` frames, so
 * a player joining the stream at any moment decodes its first frame within `frames` frames.
 */
export async function withKeyframesEvery(inputPath: string, outputPath: string, frames = 10): Promise<string> {
  const result = await runProcess('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', inputPath, '-an',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-threads', '2',
    '-g', String(frames), '-keyint_min', String(frames), '-sc_threshold', '0', outputPath,
  ], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`could not re-encode ${inputPath}: ${result.stderr.trim() || `ffmpeg exited with ${result.signal ?? result.code}`}`);
  return outputPath;
}

/** One ffmpeg publishing a clip to the server. */
export class RtspPublisher {
  constructor(readonly url: string, private readonly process: ManagedProcess) {}

  get running(): boolean {
    return this.process.running;
  }

  get exited(): Promise<void> {
    return this.process.exited;
  }

  /** SIGINT: ffmpeg sends TEARDOWN and the mount is freed. SIGKILL: the mount stays behind, stale (see TestRtspServer). */
  kill(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    return this.process.kill(signal);
  }

  /** @internal Resolves on ffmpeg's first `-progress` block (it is streaming). */
  ready(timeoutMs: number): Promise<void> {
    return this.process.waitFor(/^progress=/m, timeoutMs);
  }
}

/**
 * Runs the packaged script with two changes: the RTP port counter's hard-coded fallback (20000)
 * becomes argv[0], and stdout is autoflushed. argv[1] is the script; the rest are its options.
 */
const PERL_WRAPPER = [
  '$| = 1;',
  'require RTSP::Server;',
  '$RTSP::Server::RTP_START_PORT = shift @ARGV;',
  'my $script = shift @ARGV;',
  'do $script;',
  'die $@ if $@;',
].join(' ');

function serverExecutable(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'rtsp-server-perl');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    'rtsp-server-perl is not installed (not on PATH): apt-get install -y --no-install-recommends rtsp-server-perl, or run scripts/setup.sh',
  );
}

/** A UDP port p with p + 1 free as well (bound, then released), for an RTP/RTCP pair. */
export async function freeUdpPortPair(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const first = await bindUdp(0);
    if (!first) continue;
    const second = first.port < 65535 ? await bindUdp(first.port + 1) : undefined;
    first.close();
    second?.close();
    if (second) return first.port;
  }
  throw new Error('no free pair of UDP ports found');
}

function bindUdp(port: number): Promise<{ port: number; close: () => void } | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => resolve({ port: socket.address().port, close: () => socket.close() }));
  });
}

const OUTPUT_LIMIT = 8000;

/** A child process whose recent stdout+stderr is kept for messages, and which dies with this process. */
class ManagedProcess {
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private text = '';
  private exitInfo?: string;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  constructor(private readonly name: string, command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer) => {
      this.text = (this.text + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    process.once('exit', this.killOnExit);
    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (err) => {
        this.exitInfo = `could not be started: ${err.message}`;
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo ??= `exited with ${signal ?? `code ${code}`}`;
        resolve();
      });
    }).then(() => {
      process.removeListener('exit', this.killOnExit);
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get output(): string {
    return this.text;
  }

  /** Resolves when the output matches `pattern`; rejects with the output if the process exits or the time runs out first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        cleanup();
        reject(new Error(`${this.name} ${why}; its output:\n${this.text.trim() || '(none)'}`));
      };
      const check = () => {
        if (!settled && pattern.test(this.text)) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.stderr?.off('data', check);
      };
      this.child.stdout?.on('data', check);
      this.child.stderr?.on('data', check);
      void this.exited.then(() => {
        check();
        fail(this.exitInfo ?? 'exited');
      });
      check();
    });
  }

  /** Sends `signal` and waits for the exit (SIGKILL after 3 s). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const force = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(force);
  }
}
