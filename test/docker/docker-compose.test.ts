import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * Checks docker-compose.yml through the real `docker-compose config` (which validates the file
 * against the Compose schema, resolves anchors and paths, and needs no Docker engine), and the
 * Dockerfile it builds. Works with Debian's docker-compose 1.29 (bookworm) and 2.x (trixie),
 * whose normalized output differs (short vs long syntax for ports and volumes).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const COMPOSE_FILE = `${ROOT}/docker-compose.yml`;
const STAGES = ['capture', 'detector', 'classifier', 'annotator', 'sinks', 'gateway', 'trainer'];

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
  command?: string[];
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

test('docker-compose config lists redis and one service per pipeline stage', () => {
  const { services } = load();
  assert.equal(Object.keys(services).sort(), ['redis', ...STAGES].sort());
  assert.equal(compose(['config', '--services']).trim().split('\n').sort(), ['redis', ...STAGES].sort());
});

test('every stage runs the worker command for its stage with the stack config', () => {
  const { services } = load();
  for (const stage of STAGES) {
    const command = services[stage].command ?? [];
    assert.equal(command.slice(0, 3), ['worker', stage, '--config'], `${stage}: ${JSON.stringify(command)}`);
    assert.is(command.length, 4, `${stage}: ${JSON.stringify(command)}`);
    // The config file must exist in the folder mounted at its directory (./config -> /config).
    const file = command[3];
    const mount = volumes(services[stage]).find((v) => file.startsWith(`${v.target}/`));
    assert.ok(mount, `${stage}: no volume holds ${file}`);
    assert.ok(mount.readOnly, `${stage}: the config mount is read-only`);
    assert.is(mount.source, `${ROOT}/config`);
    const onHost = posix.join(mount.source, posix.relative(mount.target, file));
    assert.ok(existsSync(onHost), `${stage}: ${file} is ${onHost} on the host, which does not exist`);
  }
});

test('every stage shares one image built from the repo, reaches redis by URL and waits for it to be healthy', () => {
  const { services } = load();
  for (const stage of STAGES) {
    const s = services[stage];
    const context = typeof s.build === 'string' ? s.build : s.build?.context;
    assert.is(context, ROOT, `${stage}: build context`);
    assert.is(s.image, services.capture.image, `${stage}: one image for every stage`);
    assert.is(env(s).EMOTION_STREAM_REDIS_URL, 'redis://redis:6379', `${stage}: redis URL`);
    assert.is(env(s).EMOTION_STREAM_METRICS_HOST, '0.0.0.0', `${stage}: metrics host`);
    const dependsOn = s.depends_on;
    assert.ok(dependsOn && !Array.isArray(dependsOn), `${stage}: depends_on with a condition`);
    assert.is(dependsOn.redis?.condition, 'service_healthy', `${stage}: waits for a healthy redis`);
    // A replay that finished exits 0 and must not start over; every other worker always comes back.
    assert.is(s.restart, stage === 'capture' ? 'on-failure' : 'unless-stopped', `${stage}: restart`);
    assert.ok(seconds(s.stop_grace_period) >= 30, `${stage}: stop_grace_period ${s.stop_grace_period} leaves time to drain`);
  }
});

test('redis persists queues (appendonly), never evicts, has a ping healthcheck and a named volume', () => {
  const { config, services } = load();
  const redis = services.redis;
  assert.match(redis.image ?? '', /^redis:7/);
  const command = (redis.command ?? []).join(' ');
  assert.match(command, /--appendonly yes\b/);
  assert.match(command, /--maxmemory-policy noeviction\b/);
  const check = redis.healthcheck?.test;
  assert.match(Array.isArray(check) ? check.join(' ') : check ?? '', 'redis-cli ping');
  const data = volumes(redis).find((v) => v.target === '/data');
  assert.ok(data, 'redis /data volume');
  assert.is(data.source, 'redis-data');
  assert.ok(config.volumes && 'redis-data' in config.volumes, 'redis-data is a named volume');
});

test('no fixed container names; only the gateway publishes a port, on host loopback (stages scale)', () => {
  const { services } = load();
  for (const [name, s] of Object.entries(services)) {
    assert.is(s.container_name, undefined, `${name} has container_name: --scale would fail`);
    if (name !== 'gateway') assert.equal(ports(s), [], `${name} publishes a host port: --scale would collide on it`);
  }
  assert.equal(ports(services.gateway), ['127.0.0.1:8080:8080']);
});

test('each stage mounts only the host folders it needs', () => {
  const { services } = load();
  const mounts = (stage: string) => Object.fromEntries(volumes(services[stage]).map((v) => [v.target, `${v.source.replace(ROOT, '.')}${v.readOnly ? ':ro' : ''}`]));
  assert.equal(mounts('capture'), { '/config': './config:ro', '/media': './media:ro' });
  assert.equal(mounts('detector'), { '/config': './config:ro' });
  assert.equal(mounts('classifier'), { '/config': './config:ro', '/app/models': './models' });
  assert.equal(mounts('annotator'), { '/config': './config:ro' });
  assert.equal(mounts('sinks'), { '/config': './config:ro', '/out': './out' });
  assert.equal(mounts('gateway'), { '/config': './config:ro', '/media': './media:ro' }, 'the gateway replays files from /media (gateway.mediaDirs)');
  assert.equal(mounts('trainer'), { '/config': './config:ro', '/app/models': './models', '/datasets': './datasets:ro' });
});

test('the Dockerfile: node 20 slim, system OpenCV, non-root, the CLI as entrypoint; no host node_modules in the context', () => {
  const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8');
  assert.match(dockerfile, /^FROM node:20-bookworm-slim$/m);
  for (const pkg of ['ffmpeg', 'libopencv-dev', 'opencv-data', 'g++', 'make', 'python3']) assert.match(dockerfile, new RegExp(`\\s${pkg.replace(/\+/g, '\\+')}\\s`), pkg);
  assert.match(dockerfile, 'rm -rf /var/lib/apt/lists/*');
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
