import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../pipeline/logger.ts';
import { IntegrityMonitor } from '../../../pipeline/sources/integrity-monitor.ts';

/** A monitor at `fps` whose warn lines are collected, on a clock the test moves. */
function monitor(fps: number, gapWarnWindowMs?: number) {
  const lines: Record<string, unknown>[] = [];
  const clock = { now: 0 };
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { m: new IntegrityMonitor({ fps, logger, gapWarnWindowMs, now: () => clock.now }), lines, clock };
}

test('a steady stream reports nothing and logs nothing', () => {
  const { m, lines } = monitor(30);
  for (let i = 0; i < 90; i++) m.frame(i, Math.round((i * 1000 / 30) * 1000) / 1000);
  assert.equal(m.report(), { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 });
  assert.is(lines.length, 0);
});

test('a jump in presentation time is one gap, its missing frames estimated, one warning at the time', () => {
  const { m, lines } = monitor(10);
  [0, 100, 200].forEach((pts, i) => m.frame(i, pts));
  m.frame(3, 1200); // 9 frames of 100 ms never came
  assert.is(lines.length, 1);
  assert.is(lines[0].msg, 'presentation time jumps: frames missing from the source');
  assert.is(lines[0].level, 40);
  assert.equal([lines[0].frame, lines[0].afterFrame, lines[0].fromPtsMs, lines[0].toPtsMs, lines[0].gapMs, lines[0].framesMissing], [3, 2, 200, 1200, 1000, 9]);
  m.frame(4, 1300);
  m.frame(5, 1500); // 2 intervals: one frame missing
  assert.equal(m.report(), { decodeErrors: 0, ptsGaps: 2, framesMissing: 10 });
  assert.is(lines.length, 2);
});

test('with a gap warning window (live cameras), gaps are all counted but logged at most once per window', () => {
  const { m, lines, clock } = monitor(10, 5000);
  // A camera that delivers at half its nominal rate: every step is a gap.
  for (let i = 0; i < 10; i++) m.frame(i, i * 200);
  assert.is(lines.length, 1);
  clock.now = 5000;
  m.frame(10, 2000);
  assert.is(lines.length, 2);
  assert.is(lines[1].unloggedGaps, 8);
  m.frame(11, 2200);
  assert.equal(m.report(), { decodeErrors: 0, ptsGaps: 11, framesMissing: 11 });
  assert.equal([lines[2].msg, lines[2].unloggedGaps], ['more presentation-time gaps since the last warning', 1]);
});

test('steps up to 1.5 intervals (variable frame rate) and steps back are not gaps', () => {
  const { m } = monitor(10);
  [0, 100, 250, 300, 280, 400, 550].forEach((pts, i) => m.frame(i, pts));
  assert.equal(m.report(), { decodeErrors: 0, ptsGaps: 0, framesMissing: 0 });
});

test('an unknown frame rate counts decode errors but measures no gaps', () => {
  const { m } = monitor(0);
  [0, 100, 5000].forEach((pts, i) => m.frame(i, pts));
  m.decodeError('Invalid NAL unit size (0 > 417).');
  assert.equal(m.report(), { decodeErrors: 1, ptsGaps: 0, framesMissing: 0 });
});

test('decode errors are all counted but logged at most once per 5 s, with the count left unlogged', () => {
  const { m, lines, clock } = monitor(30);
  m.frame(0, 0);
  for (let i = 0; i < 4; i++) m.decodeError(`error ${i}`);
  assert.is(lines.length, 1);
  assert.equal([lines[0].msg, lines[0].error, lines[0].decodeErrors, lines[0].unlogged, lines[0].afterFrame], ['ffmpeg reported a decode error: the source is damaged', 'error 0', 1, 0, 0]);
  clock.now = 5000;
  m.decodeError('error 4');
  assert.is(lines.length, 2);
  assert.equal([lines[1].error, lines[1].decodeErrors, lines[1].unlogged], ['error 4', 5, 3]);
  m.decodeError('error 5');
  assert.equal(m.report(), { decodeErrors: 6, ptsGaps: 0, framesMissing: 0 });
  // The one held back is owned up to when the stream ends.
  assert.is(lines.length, 3);
  assert.equal([lines[2].msg, lines[2].decodeErrors, lines[2].unlogged], ['more decode errors since the last warning', 6, 1]);
  m.report();
  assert.is(lines.length, 3, 'nothing left to own up to');
});

test.run();
