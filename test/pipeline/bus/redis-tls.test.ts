import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { runProcess } from '../../../pipeline/sources/run-process.ts';
import { TestRedisServer, freePort } from '../../helpers/redis-server.ts';
import { WorkerProcess } from '../../helpers/worker-process.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { tempDir } from '../../helpers/paths.ts';

// A test-owned Redis serving TLS with a self-signed certificate (made here with openssl); workers
// trust it the way a deployment would: NODE_EXTRA_CA_CERTS.
const tmp = tempDir('es-redis-tls-');
const cert = join(tmp.dir, 'cert.pem');
const key = join(tmp.dir, 'key.pem');
const made = await runProcess('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
if (made.code !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
const tlsPort = await freePort();
const redis = await TestRedisServer.start(tmp.dir, ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no']);
const url = `rediss://127.0.0.1:${tlsPort}`;

test.after(async () => {
  await redis.kill();
  tmp.cleanup();
});

test('a worker joins the stack over rediss:// (TLS) when it trusts the server certificate', async () => {
  const worker = new WorkerProcess('sinks', ['sinks', '--redis', url, '--log-level', 'info'], { cwd: tmp.dir, env: { NODE_EXTRA_CA_CERTS: cert } });
  try {
    const ready = await worker.ready(60_000);
    assert.is(ready.transport, 'redis');
  } finally {
    await worker.kill('SIGTERM');
  }
  assert.is(worker.child.exitCode, 0, worker.stderr.slice(-500));
});

test('an untrusted certificate is one clear ERR_BUS line, not a hang', async () => {
  const r = await runCli(['worker', 'sinks', '--redis', url], { cwd: tmp.dir, timeoutMs: 30_000, env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.is(r.timedOut, false);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^emotion-stream: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+.*\[ERR_BUS\]$/m);
  assert.match(r.stderr, /certificate/i);
});

test.run();
