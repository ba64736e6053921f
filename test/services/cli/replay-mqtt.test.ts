import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildDemoClip } from '../../../pipeline/sources/demo-clip.ts';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import type { RunSummary } from '../../../pipeline/run-stats.ts';
import { CLI_BIN, lines, runCli } from '../../helpers/run-cli.ts';
import { MqttRecorder, TestMosquitto, retainedMessages } from '../../helpers/mosquitto-server.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-cli-mqtt-');
const at = (name: string) => join(tmp.dir, name);
const mq = await TestMosquitto.start(tmp.dir);
test.after(async () => {
  await mq.stop();
  tmp.cleanup();
});

// 30 frames of real faces, 320x240 at 5 fps: enough for tracks, quick to analyse.
const clip = await buildDemoClip({ outPath: at('clip.mp4'), width: 320, height: 240, fps: 5, secondsPerPhoto: 1 });
const FRAMES = (await probeVideo({ type: 'file', path: clip })).frameCount!;

const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, timeoutMs: 120_000 });
type Event = { type: string; trackId?: number; cameraId: string };
const readEvents = (file: string) => lines(readFileSync(at(file), 'utf8')).map((l) => JSON.parse(l) as Event);

test('replay --mqtt: the events file\'s track and stream events on the events topic, people and camera state, availability', async () => {
  const recorder = await MqttRecorder.subscribe(mq.url, 'emotion-stream/#');
  const r = await cli('replay', clip, '--mqtt', mq.url, '--camera-id', 'lobby', '--events', 'events.jsonl', '--json');
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.is(summary.frames, FRAMES);
  // The publisher closed after the broker took everything: its goodbye is the last message.
  await recorder.waitFor((m) => m.topic === 'emotion-stream/availability' && m.payload === 'offline');
  await recorder.close();

  const events = readEvents('events.jsonl');
  const expected = events.filter((e) => e.type !== 'frame');
  assert.equal(recorder.json('emotion-stream/lobby/events'), expected, 'same events, same order as the JSONL file');
  const people = [...new Set(events.filter((e) => e.type === 'track-start').map((e) => e.trackId!))];
  assert.ok(people.length > 0, 'the clip has people');
  for (const trackId of people) {
    const states = recorder.on(`emotion-stream/lobby/person/${trackId}/state`);
    assert.ok(states.length >= 2, `person ${trackId}: a state, then the clear`);
    const first = JSON.parse(states[0].payload) as { trackId: number; emotion: string; confidence: number; lastSeen: number };
    assert.is(first.trackId, trackId);
    assert.ok(first.confidence > 0 && first.confidence <= 1 && first.lastSeen > 0);
    assert.is(states.at(-1)!.payload, '');
  }
  const camera = recorder.json<{ state: string; people: number; source?: string }>('emotion-stream/lobby/state');
  assert.equal([camera[0].state, camera[0].source], ['live', clip]);
  assert.equal([camera.at(-1)!.state, camera.at(-1)!.people], ['ended', 0]);

  const retained = await retainedMessages(mq.url, 'emotion-stream/#');
  assert.equal([...retained.keys()].sort(), ['emotion-stream/availability', 'emotion-stream/lobby/state']);
  assert.is(retained.get('emotion-stream/availability'), 'offline');
});

test('broker down at start: the replay completes with every other output, the failure logged once as an error', async () => {
  const config = at('down.yaml');
  writeFileSync(config, 'mqtt:\n  prefix: down\n  closeTimeoutMs: 500\n');
  const r = await cli('replay', clip, '--config', config, '--mqtt', `mqtt://127.0.0.1:${await freePort()}`, '--events', 'down.jsonl', '--json');
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.equal([summary.frames, summary.end], [FRAMES, { reason: 'eof' }]);
  const events = readEvents('down.jsonl');
  assert.is(events.filter((e) => e.type === 'frame').length, FRAMES, 'every frame event in the file');
  assert.is(events.at(-1)!.type, 'stream-end');
  const logs = lines(r.stderr).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
  const failed = logs.filter((l) => /mqtt connection failed/.test(l.msg));
  assert.is(failed.length, 1, r.stderr);
  assert.ok(failed[0].level >= 50 && /ECONNREFUSED/.test(failed[0].err!.message));
  assert.ok(logs.some((l) => /did not take every message/.test(l.msg)), 'what was not delivered is logged');
});

test('killed mid-stream: the broker publishes the last will, availability turns offline (retained)', async () => {
  writeFileSync(at('will.yaml'), 'mqtt:\n  prefix: will\n');
  const recorder = await MqttRecorder.subscribe(mq.url, 'will/#');
  const child = spawn(process.execPath, [CLI_BIN, 'replay', clip, '--realtime', '--config', at('will.yaml'), '--mqtt', mq.url], {
    cwd: tmp.dir, env: { ...process.env, DEBUG: '', FORCE_COLOR: '0' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await recorder.waitFor((m) => /^will\/cam0\/person\/\d+\/state$/.test(m.topic) && m.payload !== '');
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  await recorder.waitFor((m) => m.topic === 'will/availability' && m.payload === 'offline');
  await recorder.close();
  assert.equal(recorder.on('will/availability').map((m) => m.payload), ['online', 'offline'], stderr);
  const retained = await retainedMessages(mq.url, 'will/#');
  assert.is(retained.get('will/availability'), 'offline');
  assert.is(JSON.parse(retained.get('will/cam0/state')!).state, 'live', 'state as last published: availability says it is stale');
});

test('--mqtt with a URL that is not mqtt:// or mqtts:// fails at start-up with one clear line', async () => {
  const r = await cli('replay', clip, '--mqtt', 'http://broker:1883');
  assert.is(r.code, 1);
  assert.equal(lines(r.stderr), ['emotion-stream: invalid configuration: mqtt.url: must be an mqtt:// or mqtts:// (TLS) URL, e.g. mqtt://broker:1883 [ERR_CONFIG]']);
});

test.run();
