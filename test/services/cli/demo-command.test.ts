import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeVideo } from '../../../pipeline/sources/probe-video.ts';
import { createEventValidator } from '../../../pipeline/events/validate-event.ts';
import type { RunSummary } from '../../../pipeline/run-stats.ts';
import { lines, runCli } from '../../helpers/run-cli.ts';
import { tempDir } from '../../helpers/paths.ts';

const tmp = tempDir('es-cli-demo-');
test.after(() => tmp.cleanup());

test('demo --dir: builds the clip from the sample photos, exits 0, writes demo-annotated.mp4 and demo-events.jsonl', async () => {
  const dir = join(tmp.dir, 'demo out');
  // --resize keeps the analysis cheap; the clip itself is the demo's own 640x480 one.
  const r = await runCli(['demo', '--dir', dir, '--json', '--resize', '320x240'], { cwd: tmp.dir, timeoutMs: 90_000 });
  assert.is(r.timedOut, false, 'the demo hung');
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /^\s+at /m);

  const input = await probeVideo({ type: 'file', path: join(dir, 'demo-input.mp4') });
  assert.equal([input.width, input.height], [640, 480]);
  const summary = JSON.parse(lines(r.stdout).pop()!) as RunSummary;
  assert.equal([summary.frames, summary.end], [input.frameCount, { reason: 'eof' }]);
  assert.ok(summary.framesWithFaces >= summary.frames / 2, `faces on ${summary.framesWithFaces} of ${summary.frames} frames (real photos)`);

  const annotated = await probeVideo({ type: 'file', path: join(dir, 'demo-annotated.mp4') });
  assert.equal([annotated.frameCount, annotated.fps, annotated.width, annotated.height], [input.frameCount, input.fps, 320, 240]);
  const validate = createEventValidator();
  const events = lines(readFileSync(join(dir, 'demo-events.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { type: string });
  assert.is(events.filter((e) => e.type === 'frame').length, input.frameCount!, 'one frame event per frame (track events come besides)');
  assert.ok(events.every((e) => validate(e).valid), 'every event matches schema/events.v2.json');
  assert.match(r.stderr, join(dir, 'demo-annotated.mp4'), 'the user is told where to look');
});

test.run();
