#!/usr/bin/env node
// Runs every test/**/*.test.ts file in its own Node process (uvu inside each), so native
// modules (OpenCV, ffmpeg children) and tfjs global state never leak between files, then
// prints one closing line: "N passed, N failed". Usage: node scripts/run-tests.mjs [filter]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const PER_FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 240_000);

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const running = new Set();
function killGroup(pid) {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* the group has already gone */ }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { for (const pid of running) killGroup(pid); process.exit(130); });
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    // Its own process group, so a file killed for running too long takes its redis-servers,
    // workers and ffmpeg children with it instead of leaving them to load the next files.
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, detached: true, env: { ...process.env, FORCE_COLOR: '0' } });
    running.add(child.pid);
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => { output += `\n[run-tests] killed after ${PER_FILE_TIMEOUT_MS} ms\n`; killGroup(child.pid); }, PER_FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      killGroup(child.pid); // whatever the file started and did not stop
      const num = (label) => Number((output.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
      resolve({ file, code, signal, output, total: num('Total'), passed: num('Passed'), skipped: num('Skipped'), ms: Date.now() - started });
    });
  });
}

const files = findTests(join(root, 'test')).filter((f) => !filter || filter.test(relative(root, f))).sort();
const queue = [...files];
const results = [];
const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.min(2, availableParallelism()));
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (let file = queue.shift(); file; file = queue.shift()) {
    const r = await runFile(file);
    const ok = r.code === 0 && r.total > 0 && r.passed === r.total;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${relative(root, r.file)} (${r.passed}/${r.total}, ${(r.ms / 1000).toFixed(1)}s)\n`);
    if (!ok) process.stdout.write(`${r.output.split('\n').map((l) => `     | ${l}`).join('\n')}\n`);
    results.push({ ...r, ok });
  }
}));

const passed = results.reduce((n, r) => n + r.passed, 0);
// A file that crashed or ran no test counts its missing tests (at least one) as failed.
const failed = results.reduce((n, r) => n + (r.ok ? 0 : Math.max(1, r.total - r.passed)), 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
process.stdout.write(`\n${files.length} test files\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
