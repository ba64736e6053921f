import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { resolveModelDir, shippedModelFamily } from '../../../pipeline/models/model-registry.ts';
import type { RunSummary } from '../../../pipeline/run-stats.ts';
import { lines, runCli, type CliResult } from '../../helpers/run-cli.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-cli-replay-');
test.after(() => tmp.cleanup());
const at = (name: string) => join(tmp.dir, name);

// 30 frames of real faces, 320x240 at 5 fps: enough for a run, quick to analyse.
const clip = await buildDemoClip({ outPath: at('clip.mp4'), width: 320, height: 240, fps: 5, secondsPerPhoto: 1 });
const FRAMES = (await probeVideo({ type: 'file', path: clip })).frameCount!;

const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, timeoutMs: 60_000 });

/** Stack frames or Node's own crash output: never shown for an expected failure. */
const STACK = /^\s+at |node:internal|Error: |triggerUncaughtException/m;
const ERROR_LINE = /^emotion-stream: .+ \[(ERR_[A-Z_]+)\]$/;

/**
 * The failure contract: the process ended by itself (no hang) with a non-zero code, stderr holds
 * exactly one line and it is `emotion-stream: <message> [code]` (no stack), stdout is empty.
 */
function assertOneClearLine(r: CliResult, code: string, mentions: string[], exitCode = 1): void {
  assert.is(r.timedOut, false, `the CLI hung: ${r.stderr}`);
  assert.is(r.code, exitCode, `exit code; stderr: ${r.stderr}`);
  const err = lines(r.stderr);
  assert.is(err.length, 1, `one line on stderr, got:\n${r.stderr}`);
  const match = ERROR_LINE.exec(err[0]);
  assert.ok(match, `not a clear error line: ${err[0]}`);
  assert.is(match![1], code);
  for (const text of mentions) assert.ok(err[0].includes(text), `"${err[0]}" should mention ${text}`);
  assert.not.match(r.stderr, STACK);
  assert.is(r.stdout, '');
}

test('replay with --out --events --json: exit 0, the summary JSON is the last stdout line, files written', async () => {
  const r = await cli('replay', clip, '--out', 'annotated.mp4', '--events', 'events.jsonl', '--json');
  assert.is(r.timedOut, false);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, STACK);
  const out = lines(r.stdout);
  assert.is(out.length, 1, `stdout holds only the summary: ${r.stdout}`);
  const summary = JSON.parse(out[out.length - 1]) as RunSummary;
  assert.equal([summary.frames, summary.videoFrames, summary.faults, summary.end], [FRAMES, FRAMES, 0, { reason: 'eof' }]);
  assert.is(summary.source, clip);
  assert.equal(summary.integrity, { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 }, 'an intact source');
  assert.ok(summary.framesWithFaces >= FRAMES / 2, `faces on ${summary.framesWithFaces} frames`);

  assert.ok(existsSync(at('annotated.mp4')) && existsSync(at('events.jsonl')));
  assert.is((await probeVideo({ type: 'file', path: at('annotated.mp4') })).frameCount, FRAMES);
  const validate = createEventValidator();
  const events = lines(readFileSync(at('events.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string; v: number; trackId?: number });
  assert.is(events.length, summary.events, 'every event the summary counts is in the file');
  assert.is(events.filter((e) => e.type === 'frame').length, FRAMES);
  assert.ok(events.every((e) => e.v === 2 && validate(e).valid), 'every event valid against schema/events.v2.json');
  assert.equal([events[0].type, events[events.length - 1].type], ['stream-start', 'stream-end']);
  assert.match(r.stderr, /processed 30 frames/);
  // Every person the summary lists started and ended once in the events, and is named on stderr.
  const ids = (type: string) => events.filter((e) => e.type === type).map((e) => e.trackId).sort((a, b) => a! - b!);
  assert.ok(summary.people.length > 0, 'people tracked');
  assert.equal(summary.people.map((p) => p.trackId), ids('track-start'));
  assert.equal(ids('track-end'), ids('track-start'));
  for (const p of summary.people) {
    assert.ok(p.firstSeenMs <= p.lastSeenMs && p.frames > 0);
    assert.ok(Math.abs(Object.values(p.share).reduce((a, b) => a + b, 0) - 1) < 0.001, 'shares sum to 1');
    assert.match(r.stderr, new RegExp(`person #${p.trackId} .*mostly ${p.dominant}`));
  }
});

test('--no-tracking: every frame labelled on its own, no track ids and no track events', async () => {
  const r = await cli('replay', clip, '--events', 'untracked.jsonl', '--no-tracking', '--json');
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.equal(summary.people, []);
  const events = lines(readFileSync(at('untracked.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string; faces?: { trackId?: number; stable?: unknown }[] });
  assert.equal([...new Set(events.map((e) => e.type))].sort(), ['frame', 'stream-end', 'stream-start']);
  const faces = events.flatMap((e) => e.faces ?? []);
  assert.ok(faces.length > 0 && faces.every((f) => f.trackId === undefined && f.stable === undefined));
});

test('--reid: every face and track event carries a person id, the summary too (v2 events stay valid)', async () => {
  const r = await cli('replay', clip, '--events', 'reid.jsonl', '--reid', '--json');
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.ok(summary.people.length > 0 && summary.people.every((p) => Number.isInteger(p.personId)));
  const validate = createEventValidator();
  const events = lines(readFileSync(at('reid.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string; personId?: number; faces?: { personId?: number }[] });
  assert.ok(events.every((e) => validate(e).valid));
  const faces = events.flatMap((e) => e.faces ?? []);
  assert.ok(faces.length > 0 && faces.every((f) => Number.isInteger(f.personId)));
  assert.ok(events.filter((e) => e.type === 'track-start' || e.type === 'track-end').every((e) => Number.isInteger(e.personId)));
});

test('--reid with --no-tracking is refused with one clear line', async () => {
  assertOneClearLine(await cli('replay', clip, '--reid', '--no-tracking'), 'ERR_CONFIG', ['--reid needs tracking']);
});

test('a missing video file', async () => {
  assertOneClearLine(await cli('replay', 'no-such-video.mp4'), 'ERR_SOURCE_NOT_FOUND', [at('no-such-video.mp4')]);
});

test('a text file named .mp4', async () => {
  writeFileSync(at('notes.mp4'), 'these are my meeting notes, not a video\n');
  assertOneClearLine(await cli('replay', 'notes.mp4', '--out', 'x.mp4'), 'ERR_SOURCE_UNREADABLE', [at('notes.mp4')]);
  assert.is(existsSync(at('x.mp4')), false, 'no output for an input that never opened');
});

test('a truncated mp4: the decodable frames are processed, then exit 1 with a clear last line', async () => {
  const bytes = readFileSync(clip);
  writeFileSync(at('cut.mp4'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = await cli('replay', 'cut.mp4', '--out', 'cut-annotated.mp4', '--events', 'cut.jsonl', '--json');
  assert.is(r.timedOut, false);
  assert.is(r.code, 1, r.stderr);
  assert.not.match(r.stderr, STACK);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.ok(summary.frames > 0 && summary.frames < FRAMES, `${summary.frames} of ${FRAMES} frames processed`);
  assert.is(summary.end?.reason, 'error');
  assert.is(summary.end?.error?.code, 'ERR_SOURCE_UNREADABLE');
  const err = lines(r.stderr);
  const errorLines = err.filter((l) => ERROR_LINE.test(l));
  assert.is(errorLines.length, 1, `one error line:\n${r.stderr}`);
  assert.is(err[err.length - 1], errorLines[0], 'the error is the last line');
  assert.ok(errorLines[0].includes(at('cut.mp4')) && errorLines[0].includes(`${summary.frames} frames`), errorLines[0]);
  assert.ok(err.every((l) => l.startsWith('emotion-stream: ')), `no raw log lines:\n${r.stderr}`);
  // What was processed is kept, complete.
  assert.is((await probeVideo({ type: 'file', path: at('cut-annotated.mp4') })).frameCount, summary.frames);
  const cutEvents = lines(readFileSync(at('cut.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string });
  assert.is(cutEvents.filter((e) => e.type === 'frame').length, summary.frames);
  assert.is(cutEvents.at(-1)?.type, 'stream-end', 'the stream ends in the file too, its tracks closed before it');
});

test('live --webcam with a device that does not exist (no camera here)', async () => {
  assertOneClearLine(await cli('live', '--webcam', '/dev/video99'), 'ERR_CONFIG', ['/dev/video99 does not exist']);
});

test('--model pointing at nothing', async () => {
  assertOneClearLine(await cli('replay', clip, '--model', '/nonexistent'), 'ERR_MODEL_LOAD', ['/nonexistent']);
});

test('--model pointing at a model folder whose model.json is garbage', async () => {
  const shipped = resolveModelDir(shippedModelFamily());
  const dir = at('broken-model');
  mkdirSync(dir);
  for (const file of ['metadata.json', 'weights.bin']) copyFileSync(join(shipped, file), join(dir, file));
  writeFileSync(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Sequ');
  assertOneClearLine(await cli('replay', clip, '--model', dir), 'ERR_MODEL_LOAD', [join(dir, 'model.json')]);
});

test('bad --resize values: a malformed size is a usage error, a too small one a config error', async () => {
  assertOneClearLine(await cli('replay', clip, '--resize', 'big'), 'ERR_USAGE', ['--resize', '"big"'], 2);
  assertOneClearLine(await cli('replay', clip, '--resize', '0x0'), 'ERR_CONFIG', ['resize.width']);
});

test('an unknown --tta mode is a config error naming the setting', async () => {
  assertOneClearLine(await cli('replay', clip, '--tta', 'rotate'), 'ERR_CONFIG', ['classifier.tta']);
});

test('an output folder that does not exist fails before anything runs', async () => {
  assertOneClearLine(await cli('replay', clip, '--out', 'missing-dir/out.mp4'), 'ERR_SINK', [at('missing-dir')]);
});

test('an unknown command: one clear line, then the usage; exit 2', async () => {
  const r = await cli('frobnicate', clip);
  assert.is(r.timedOut, false);
  assert.is(r.code, 2);
  const err = lines(r.stderr);
  assert.is(err[0], 'emotion-stream: unknown command "frobnicate" [ERR_USAGE]');
  assert.is(err.filter((l) => l.startsWith('emotion-stream:')).length, 1, 'one error line');
  assert.ok(err.some((l) => l.startsWith('usage: emotion-stream <command>')), 'the usage follows');
  assert.ok(err.some((l) => /^\s+replay\s/.test(l)), 'commands are listed');
  assert.not.match(r.stderr, STACK);
  assert.is(r.stdout, '');
});

test.run();
