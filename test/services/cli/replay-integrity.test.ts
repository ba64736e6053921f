import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../pipeline/run-stats.ts';
import { lines, runCli } from '../../helpers/run-cli.ts';
import { tempDir } from '../../helpers/paths.ts';
import { buildTestsrcClip, zeroMiddle } from '../../helpers/damaged-clip.ts';

// `replay` of a video damaged in the middle: what it says, and its exit code with and without --strict.
const tmp = tempDir('es-cli-integrity-');
test.after(() => tmp.cleanup());
const at = (name: string) => join(tmp.dir, name);

// 100 frames at 30 fps; 8 KB zeroed in the middle destroy a run of them.
const clean = await buildTestsrcClip(at('testsrc.mp4'), { frames: 100, fps: 30, width: 160, height: 120 });
const damaged = zeroMiddle(clean, at('damaged.mp4'), 8 * 1024);

const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, timeoutMs: 60_000 });
const STACK = /^\s+at |node:internal|Error: |triggerUncaughtException/m;

function damageText(s: RunSummary): string {
  const { decodeErrors, ptsGaps, framesMissing } = s.integrity!;
  return `${framesMissing} frames missing in ${ptsGaps} gap${ptsGaps === 1 ? '' : 's'} of presentation time, ${decodeErrors} decode errors`;
}

test('damaged in the middle: exit 0, every decodable frame processed, the summary, a stderr line and the stream-end event say what was lost', async () => {
  const r = await cli('replay', 'damaged.mp4', '--events', 'damaged.jsonl', '--json');
  assert.is(r.timedOut, false);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, STACK);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.equal(summary.end, { reason: 'eof' });
  const { decodeErrors, ptsGaps, framesMissing } = summary.integrity!;
  assert.ok(decodeErrors > 0 && ptsGaps >= 1, JSON.stringify(summary.integrity));
  assert.is(summary.frames + framesMissing, 100, `${summary.frames} frames processed, ${framesMissing} missing`);
  const err = lines(r.stderr);
  assert.is(err.at(-1), `emotion-stream: warning: ${damaged} is damaged: ${damageText(summary)} (every frame that could be decoded was processed)`);
  const events = lines(readFileSync(at('damaged.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string; integrity?: unknown });
  assert.is(events.filter((e) => e.type === 'frame').length, summary.frames);
  assert.equal(events.at(-1), { ...events.at(-1), type: 'stream-end', integrity: summary.integrity }, 'the stream-end event says it too');
});

test('--strict: the same replay exits 1, its last line the damage with ERR_SOURCE_DAMAGED; the summary is still printed', async () => {
  const r = await cli('replay', 'damaged.mp4', '--json', '--strict');
  assert.is(r.timedOut, false);
  assert.is(r.code, 1, r.stderr);
  assert.not.match(r.stderr, STACK);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.ok(summary.integrity!.ptsGaps >= 1);
  const err = lines(r.stderr);
  assert.is(err.at(-1), `emotion-stream: error: ${damaged} is damaged: ${damageText(summary)}; ${summary.frames} frames processed (--strict) [ERR_SOURCE_DAMAGED]`);
  assert.not.ok(err.some((l) => l.includes('warning:')), 'the damage is said once, as the error');
});

test('--strict on an intact video: exit 0, integrity all zeros, no warning', async () => {
  const r = await cli('replay', 'testsrc.mp4', '--json', '--strict');
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.is(summary.frames, 100);
  assert.equal(summary.integrity, { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 });
  assert.not.ok(lines(r.stderr).some((l) => l.includes('damaged')));
});

test.run();
