import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmotionStreamError } from '../../../common/errors.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import { toWireEvents, type WireEvent } from '../../../pipeline/events/wire-event.ts';
import { JsonlWriter } from '../../../pipeline/sinks/jsonl-writer.ts';
import { tempDir } from '../../helpers/paths.ts';
import { T0, classifications, faultedClassifications, streamEndWithTracks, streamStart, tracked, trackedWithEvents } from '../events/sample-messages.ts';

const validate = createEventValidator();

/** The v2 events of a tracked stream: some frames faulted, some with track events, open tracks at the end. */
function stream(frames: number): WireEvent[] {
  const now = () => T0 + 999;
  const frame = (seq: number) => (seq % 50 === 7 ? faultedClassifications(seq) : seq % 50 === 9 ? trackedWithEvents(seq) : tracked(classifications(seq)));
  const events = toWireEvents(streamStart());
  for (let seq = 0; seq < frames; seq++) events.push(...toWireEvents(frame(seq), { now }));
  events.push(...toWireEvents(streamEndWithTracks('cam1', frames)));
  return events;
}

async function openError(path: string): Promise<EmotionStreamError> {
  try {
    await JsonlWriter.open(path);
  } catch (err) {
    assert.instance(err, EmotionStreamError);
    return err as EmotionStreamError;
  }
  throw new Error(`expected opening ${path} to fail`);
}

test('N events written without awaiting -> N parseable lines in the same order after close', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'events.jsonl');
    const events = stream(2000);
    const writer = await JsonlWriter.open(path);
    for (const event of events) void writer.write(event);
    await writer.close();
    const text = readFileSync(path, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.is(lines.length, events.length);
    assert.equal(lines.map((line) => JSON.parse(line)), JSON.parse(JSON.stringify(events)));
    assert.is(writer.linesWritten, events.length);
    for (const line of lines) assert.ok(validate(JSON.parse(line)).valid, line);
    assert.ok(lines.some((line) => line.includes('"type":"track-end"')) && lines.every((line) => line.includes('"v":2,')), 'v2 events, track events included');
  } finally {
    cleanup();
  }
});

test('an existing file is appended to, not truncated; handle() is write()', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, '{"earlier":true}\n');
    const writer = await JsonlWriter.open(path);
    await writer.handle(stream(0)[0]);
    await writer.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.is(lines.length, 2);
    assert.is(JSON.parse(lines[1]).type, 'stream-start');
  } finally {
    cleanup();
  }
});

test('reopened after a kill, events the file already ends with are not written again (a restarted sinks worker redoes them)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'events.jsonl');
    const events = stream(30);
    const cut = events.findIndex((e) => e.type === 'frame' && e.seq === 20);
    // The killed writer got as far as frame 20; its successor redoes frames 19 and 20, then goes on.
    const first = await JsonlWriter.open(path);
    for (const event of events.slice(0, cut + 1)) void first.write(event);
    await first.close();
    const redoFrom = events.findIndex((e) => e.type === 'frame' && e.seq === 19);
    const second = await JsonlWriter.open(path);
    for (const event of events.slice(redoFrom)) void second.write(event);
    await second.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
    const frames = lines.filter((e) => e.type === 'frame').map((e) => (e as { seq: number }).seq);
    assert.equal(frames, Array.from({ length: 30 }, (_, i) => i), 'every frame once, in order');
    assert.is(lines.filter((e) => e.type === 'stream-end').length, 1);
  } finally {
    cleanup();
  }
});

test('a missing directory is a clear ERR_SINK naming the path', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'no-such-dir', 'events.jsonl');
    const err = await openError(path);
    assert.is(err.code, 'ERR_SINK');
    assert.is(err.message, `cannot open events file ${path}: directory ${join(dir, 'no-such-dir')} does not exist`);
    assert.equal(err.context, { path });
    assert.is((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
  } finally {
    cleanup();
  }
});

test('a path that is a directory is a clear ERR_SINK', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'events.jsonl'));
    const err = await openError(join(dir, 'events.jsonl'));
    assert.is(err.code, 'ERR_SINK');
    assert.match(err.message, 'the path is a directory');
  } finally {
    cleanup();
  }
});

test('write after close rejects with ERR_SINK; close is idempotent', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const writer = await JsonlWriter.open(join(dir, 'events.jsonl'));
    await writer.close();
    await writer.close();
    let failure: unknown;
    await writer.write(stream(0)[0]).catch((err: unknown) => (failure = err));
    assert.instance(failure, EmotionStreamError);
    assert.is((failure as EmotionStreamError).code, 'ERR_SINK');
    assert.is(readFileSync(join(dir, 'events.jsonl'), 'utf8'), '');
  } finally {
    cleanup();
  }
});

// /dev/full fails every write with ENOSPC: a real disk-full without filling a disk (Linux only).
const diskFullTest = existsSync('/dev/full') ? test : test.skip;
diskFullTest('a failing disk rejects the write and close() with ERR_SINK instead of crashing', async () => {
  const writer = await JsonlWriter.open('/dev/full');
  let writeError: unknown;
  await writer.write(stream(0)[0]).catch((err: unknown) => (writeError = err));
  assert.instance(writeError, EmotionStreamError);
  assert.is((writeError as EmotionStreamError).code, 'ERR_SINK');
  assert.match((writeError as Error).message, 'writing events to /dev/full failed: ENOSPC');
  await new Promise((resolve) => setTimeout(resolve, 20)); // the failed stream closes itself meanwhile
  let closeError: unknown;
  await writer.close().catch((err: unknown) => (closeError = err));
  assert.is(closeError, writeError);
});

test.run();
