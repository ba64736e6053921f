import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { envOverrides, loadStackConfig } from '../../config/load.ts';
import type { StackConfig } from '../../config/schema.ts';
import { RETIRED_STAGES, STAGE_NAMES, resolveStageName, type StageName } from '../../services/stack.ts';

/**
 * Checks docker-compose.yml through the real `docker-compose config` (which validates the file
 * against the Compose schema, resolves anchors and paths, and needs no Docker engine), and the
 * Dockerfile it builds. Works with Debian's docker-compose 1.29 (bookworm) and 2.x (trixie),
 * whose normalized output differs (short vs long syntax for ports and volumes).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const COMPOSE_FILE = `${ROOT}/docker-compose.yml`;

function compose(args: string[]): string {
  const r = spawnSync('docker-compose', ['-f', COMPOSE_FILE, '--project-directory', ROOT, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
    // Nothing from the caller's environment may change what the file resolves to.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, COMPOSE_PROJECT_NAME: 'emotion-stream-test' },
  });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.unreachable('docker-compose is not installed: install the Debian package with `apt-get install -y --no-install-recommends docker-compose`');
  }
  if (r.error) throw r.error;
  assert.is(r.status, 0, `docker-compose ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

interface Volume { source: string; target: string; readOnly: boolean }
interface Service {
  image?: string;
  build?: { context: string } | string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  ports?: Array<string | { host_ip?: string; published: string | number; target: number; protocol?: string }>;
  container_name?: string;
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test: string[] | string };
}

function env(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return s.environment ?? {};
}

function volumes(s: Service): Volume[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source, target, mode = 'rw'] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Ports as "hostIp:published:target" (hostIp empty when all interfaces). */
function ports(s: Service): string[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return `${p.host_ip ?? ''}:${p.published}:${p.target}`;
    const parts = p.replace(/\/tcp$/, '').split(':');
    return parts.length === 3 ? parts.join(':') : `:${parts.join(':')}`;
  });
}

function seconds(duration: string | undefined): number {
  let total = 0;
  for (const [, n, unit] of (duration ?? '').matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as Record<string, number>)[unit];
  return total;
}

interface Config { services: Record<string, Service>; volumes?: Record<string, unknown> }
let cached: Config | undefined;
/** The normalized file, read once; in each test so a missing docker-compose fails every test with the install hint. */
function load(): { config: Config; services: Record<string, Service> } {
  cached ??= parseYaml(compose(['config'])) as Config;
  return { config: cached, services: cached.services };
}

/** A service's command as a list (Compose accepts a string too). */
function command(s: Service): string[] {
  const c = s.command ?? [];
  return typeof c === 'string' ? c.trim().split(/\s+/) : c;
}

/** The value of `--flag value` or `--flag=value` in a command, if any. */
function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

/** The host path of `file` inside `s`'s container, through the mount that holds it (undefined: not mounted). */
function mountOf(s: Service, file: string): Volume | undefined {
  return volumes(s)
    .filter((v) => file === v.target || file.startsWith(`${v.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}

/** Services that run a stage worker (`worker <stage> ...`), by service name. */
function workers(services: Record<string, Service>): Array<[string, Service]> {
  return Object.entries(services).filter(([, s]) => command(s)[0] === 'worker');
}

/** The stack config a worker runs with: its mounted config file, under the bus/metrics settings of its environment. */
function workerConfig(name: string, s: Service): StackConfig {
  const file = flag(command(s), '--config');
  assert.ok(file, `${name}: the worker is given its config file (--config)`);
  const mount = mountOf(s, file);
  assert.ok(mount, `${name}: no volume holds ${file}`);
  const onHost = posix.join(mount.source, posix.relative(mount.target, file));
  assert.ok(existsSync(onHost), `${name}: ${file} is ${onHost} on the host, which does not exist`);
  return loadStackConfig({ file: onHost, overrides: envOverrides(env(s)) });
}

/** The folder the image runs from (its last WORKDIR): the shipped models live in `<workdir>/models`. */
function imageWorkdir(): string {
  const dirs = [...readFileSync(`${ROOT}/Dockerfile`, 'utf8').matchAll(/^WORKDIR\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(dirs.length > 0, 'the Dockerfile sets a WORKDIR');
  return dirs[dirs.length - 1];
}

test('every stage worker runs as a service of its own: `worker <its stage>`, and nothing runs a retired or unknown stage', () => {
  const { services } = load();
  const running = new Map<StageName, string>();
  for (const [name, s] of workers(services)) {
    const args = command(s);
    const firstOption = args.findIndex((a, i) => i > 0 && a.startsWith('-'));
    const stages = args.slice(1, firstOption === -1 ? undefined : firstOption);
    assert.is(stages.length, 1, `${name}: one stage per service (copies scale with --scale): ${JSON.stringify(args)}`);
    const stage = resolveStageName(stages[0]);
    assert.ok(stage, `${name}: runs \`worker ${stages[0]}\`, which is no stage (${RETIRED_STAGES[stages[0]] ?? 'unknown'})`);
    assert.is(resolveStageName(name), stage, `${name}: the service runs ${stages[0]}, not its own stage`);
    running.set(stage, name);
  }
  for (const stage of STAGE_NAMES) assert.ok(running.has(stage), `no service runs the ${stage} worker`);
  assert.equal(compose(['config', '--services']).trim().split('\n').sort(), Object.keys(services).sort());
});

test('every worker gets its config mounted read-only, from the repo\'s config folder', () => {
  const { services } = load();
  for (const [name, s] of workers(services)) {
    workerConfig(name, s); // mounted, present on the host, and valid
    const mount = mountOf(s, flag(command(s), '--config')!)!;
    assert.ok(mount.readOnly, `${name}: the config mount is read-only`);
  }
});

test('every worker reaches Redis (a compose service running redis-server) and waits for it to be healthy', () => {
  const { services } = load();
  for (const [name, s] of workers(services)) {
    const config = workerConfig(name, s);
    assert.is(config.bus.transport, 'redis', `${name}: bus transport`);
    const url = new URL(config.bus.redisUrl ?? '');
    const redis = services[url.hostname];
    assert.ok(redis, `${name}: ${url.hostname} (from ${config.bus.redisUrl}) is no compose service`);
    const redisArgs = command(redis);
    assert.ok(redisArgs[0] === 'redis-server' || redisArgs.length === 0, `${name}: ${url.hostname} runs redis-server`);
    assert.is(Number(url.port || 6379), Number(flag(redisArgs, '--port') ?? 6379), `${name}: the port redis listens on`);
    const dependsOn = s.depends_on;
    assert.ok(dependsOn && !Array.isArray(dependsOn), `${name}: depends_on with a condition`);
    assert.is(dependsOn[url.hostname]?.condition, 'service_healthy', `${name}: waits for a healthy ${url.hostname}`);
    assert.ok(redis.healthcheck?.test, `${url.hostname}: a healthcheck (workers wait for it)`);
  }
});

test('redis persists every write before acknowledging it (appendonly, appendfsync always), never evicts, keeps /data in a named volume', () => {
  const { config, services } = load();
  const redisName = [...new Set(workers(services).map(([name, s]) => new URL(workerConfig(name, s).bus.redisUrl ?? '').hostname))];
  assert.is(redisName.length, 1, `one Redis for every worker: ${redisName.join(', ')}`);
  const redis = services[redisName[0]];
  const args = command(redis);
  // The durability the Redis tests rely on (test/helpers/redis-server.ts): a killed Redis loses no acknowledged job.
  assert.is(flag(args, '--appendonly'), 'yes');
  assert.is(flag(args, '--appendfsync'), 'always');
  // A full Redis must refuse writes rather than drop BullMQ's keys.
  assert.is(flag(args, '--maxmemory-policy'), 'noeviction');
  const dir = flag(args, '--dir') ?? '/data';
  const data = volumes(redis).find((v) => v.target === dir);
  assert.ok(data, `redis keeps ${dir} in a volume`);
  assert.ok(config.volumes && data.source in config.volumes, `${data.source} is a named volume (survives a recreated container)`);
});

test('classifier and trainer see the models folder (the trainer may write new versions); sinks write their outputs to a mounted folder', () => {
  const { services } = load();
  const models = posix.join(imageWorkdir(), 'models');
  const byStage = (stage: StageName) => workers(services).filter(([, s]) => resolveStageName(command(s)[1]) === stage);
  for (const stage of ['classifier', 'trainer'] as const) {
    for (const [name, s] of byStage(stage)) {
      const modelDir = workerConfig(name, s).classifier?.modelDir;
      const dir = modelDir ? posix.resolve(imageWorkdir(), modelDir) : models;
      const mount = mountOf(s, dir);
      assert.ok(mount, `${name}: ${dir} is mounted (new model versions reach every copy and outlive the container)`);
      if (stage === 'trainer') assert.not.ok(mount.readOnly, `${name}: writes new model versions to ${dir}`);
    }
  }
  for (const [name, s] of byStage('sinks')) {
    const { output } = workerConfig(name, s);
    const files = [output.eventsJsonl, output.annotatedVideo].filter((f): f is string => typeof f === 'string');
    assert.ok(files.length > 0, `${name}: the example config writes an output file`);
    for (const file of files) {
      const mount = mountOf(s, posix.dirname(file));
      assert.ok(mount && !mount.readOnly, `${name}: ${file} is written to a writable mounted folder`);
    }
  }
  for (const [name, s] of byStage('capture')) {
    const { source } = workerConfig(name, s);
    if (source?.type === 'file') assert.ok(mountOf(s, source.path), `${name}: its source ${source.path} is mounted`);
  }
});

test('every worker is built from the repo as one image, healthchecked on its metrics port, restarted, and given time to drain', () => {
  const { services } = load();
  const all = workers(services);
  for (const [name, s] of all) {
    const context = typeof s.build === 'string' ? s.build : s.build?.context;
    assert.is(context, ROOT, `${name}: built from the repo`);
    assert.is(s.image, all[0][1].image, `${name}: one image for every stage`);
    const { metrics } = workerConfig(name, s);
    assert.ok(metrics?.port, `${name}: serves /metrics and /healthz`);
    assert.not.ok(['127.0.0.1', 'localhost'].includes(metrics.host ?? ''), `${name}: metrics reachable from the compose network`);
    const check = s.healthcheck?.test;
    assert.match(Array.isArray(check) ? check.join(' ') : check ?? '', `:${metrics.port}/healthz`, `${name}: the healthcheck asks /healthz`);
    // A replay that finished exits 0 and must not start over; every other worker always comes back.
    if (resolveStageName(command(s)[1]) === 'capture') assert.is(s.restart, 'on-failure', `${name}: restart`);
    else assert.ok(s.restart && s.restart !== 'no' && s.restart !== 'on-failure', `${name}: restart ${s.restart}`);
    assert.ok(seconds(s.stop_grace_period) >= 30, `${name}: stop_grace_period ${s.stop_grace_period} leaves time to drain`);
  }
});

test('no fixed container names; only the gateway publishes a port: its WebSocket/API port, on host loopback (stages scale)', () => {
  const { services } = load();
  for (const [name, s] of Object.entries(services)) {
    assert.is(s.container_name, undefined, `${name} has container_name: --scale would fail`);
    if (name !== 'gateway') assert.equal(ports(s), [], `${name} publishes a host port: --scale would collide on it`);
  }
  const { output } = workerConfig('gateway', services.gateway);
  const published = ports(services.gateway);
  assert.is(published.length, 1, `gateway ports: ${published.join(', ')}`);
  const [hostIp, , target] = published[0].split(':');
  assert.is(hostIp, '127.0.0.1', 'the gateway is published on host loopback only');
  assert.is(Number(target), output.websocket?.port, 'the published port is the one the gateway listens on');
});

test('the Dockerfile: node 20, system OpenCV, non-root, the CLI as entrypoint; no host node_modules in the context', () => {
  const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8');
  assert.match(dockerfile, /^FROM node:20\b/m);
  for (const pkg of ['ffmpeg', 'libopencv-dev', 'opencv-data', 'g++', 'make', 'python3']) assert.match(dockerfile, new RegExp(`\\s${pkg.replace(/\+/g, '\\+')}\\s`), pkg);
  assert.match(dockerfile, 'OPENCV4NODEJS_DISABLE_AUTOBUILD=1');
  assert.match(dockerfile, /\bnpm ci\b/);
  const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(users.length > 0 && !['root', '0'].includes(users[users.length - 1]), `runs as non-root (USER ${users.join(', ')})`);
  assert.match(dockerfile, /^ENTRYPOINT \["node", "bin\/emotion-stream\.js"\]$/m);
  // A host-built opencv4nodejs binding (other glibc/OpenCV) must never be copied over the image's own.
  const ignored = readFileSync(`${ROOT}/.dockerignore`, 'utf8').split('\n').map((l) => l.trim());
  assert.ok(ignored.includes('node_modules'), '.dockerignore lists node_modules');
  assert.ok(ignored.includes('.git'), '.dockerignore lists .git');
});

test.run();
