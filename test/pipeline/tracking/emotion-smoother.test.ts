import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTIONS, type Emotion, type EmotionScores } from '../../../pipeline/messages.ts';
import { EmotionSmoother, type SmoothedUpdate } from '../../../pipeline/tracking/emotion-smoother.ts';
import type { SmoothingConfig } from '../../../config/schema.ts';

const DEFAULTS: SmoothingConfig = { timeConstantMs: 600, switchMargin: 0.1, minDwellMs: 400 };
const RAW: SmoothingConfig = { timeConstantMs: 0, switchMargin: 0, minDwellMs: 0 };

/** Probabilities with `p` on `main`, optionally `q` on `second`, the rest spread evenly. */
function dist(main: Emotion, p: number, second?: [Emotion, number]): EmotionScores {
  const named = second ? 2 : 1;
  const rest = (1 - p - (second?.[1] ?? 0)) / (EMOTIONS.length - named);
  const out = {} as EmotionScores;
  for (const e of EMOTIONS) out[e] = e === main ? p : e === second?.[0] ? second[1] : rest;
  return out;
}

function argmax(scores: EmotionScores): Emotion {
  return EMOTIONS.reduce((best, e) => (scores[e] > scores[best] ? e : best), EMOTIONS[0]);
}

/** Frame k at k * 1000 / fps: the grid points shared by 15, 30 and 60 fps come out exact. */
function frameTimes(fps: number, untilMs: number): number[] {
  const out: number[] = [];
  for (let k = 0; (k * 1000) / fps <= untilMs + 1e-9; k++) out.push((k * 1000) / fps);
  return out;
}

/** Feeds `signal(t)` at each time; returns the updates in order. */
function run(config: SmoothingConfig, times: number[], signal: (t: number) => EmotionScores): { smoother: EmotionSmoother; updates: SmoothedUpdate[] } {
  const smoother = new EmotionSmoother(config);
  return { smoother, updates: times.map((t) => smoother.update(signal(t), t)) };
}

function close(actual: number, expected: number, what: string, eps = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: ${actual} != ${expected}`);
}

/** A deterministic 0..1 sequence (LCG), so "random" inputs are the same every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('the time constant: a step covers 1 - e^-1 of the way after exactly timeConstantMs at 15, 30 and 60 fps', () => {
  const tau = 200;
  const a = dist('happy', 0.9);
  const b = dist('sad', 0.9);
  for (const fps of [15, 30, 60]) {
    const times = frameTimes(fps, 2 * tau);
    const { updates } = run({ ...DEFAULTS, timeConstantMs: tau }, times, (t) => (t === 0 ? a : b));
    for (const at of [tau, 2 * tau]) {
      const { scores } = updates[times.indexOf(at)].stable;
      for (const e of ['happy', 'sad'] as const) {
        close((scores[e] - a[e]) / (b[e] - a[e]), 1 - Math.exp(-at / tau), `${fps} fps, ${e} at ${at} ms`);
      }
      close(EMOTIONS.reduce((sum, e) => sum + scores[e], 0), 1, `${fps} fps: scores still sum to 1`);
    }
  }
});

test('the stable label switches at the same time (within one frame) at 15 and 30 fps', () => {
  const config = { ...DEFAULTS, minDwellMs: 350 };
  const stepMs = 1000;
  // neutral 0.7 -> happy 0.7 (others 0.05): happy - neutral = 1.3 f - 0.65, f = 1 - exp(-T / tau).
  const leadAfter = -config.timeConstantMs * Math.log(1 - (config.switchMargin + 0.65) / 1.3);
  const earliest = stepMs + leadAfter + config.minDwellMs;
  const switchAt = (fps: number): number => {
    const times = frameTimes(fps, 4000);
    const { updates } = run(config, times, (t) => (t <= stepMs ? dist('neutral', 0.7) : dist('happy', 0.7)));
    const changes = updates.flatMap((u, i) => (u.changed ? [{ t: times[i], ...u.changed }] : []));
    assert.equal(changes.map(({ from, to }) => [from, to]), [['neutral', 'happy']], `${fps} fps`);
    const frameMs = 1000 / fps;
    // The lead starts on the first frame past leadAfter, the switch on the first frame minDwellMs after that.
    assert.ok(changes[0].t >= earliest && changes[0].t < earliest + 2 * frameMs, `${fps} fps: switched at ${changes[0].t}, expected ~${earliest}`);
    return changes[0].t;
  };
  const at15 = switchAt(15);
  const at30 = switchAt(30);
  assert.ok(Math.abs(at15 - at30) <= 1000 / 15, `15 fps ${at15} ms vs 30 fps ${at30} ms`);
});

const NEUTRAL = dist('neutral', 0.6, ['happy', 0.2]);
const HAPPY = dist('happy', 0.6, ['neutral', 0.2]);
const HYSTERESIS: SmoothingConfig = { timeConstantMs: 0, switchMargin: 0.1, minDwellMs: 400 };
const EVERY_50MS = Array.from({ length: 61 }, (_, k) => k * 50);

function changesOf(updates: SmoothedUpdate[], times: number[]): Array<[number, Emotion, Emotion]> {
  return updates.flatMap((u, i) => (u.changed ? [[times[i], u.changed.from, u.changed.to] as [number, Emotion, Emotion]] : []));
}

test('hysteresis: a flip of the leader shorter than minDwellMs leaves the stable label alone', () => {
  const { updates } = run(HYSTERESIS, EVERY_50MS, (t) => (t >= 1000 && t <= 1350 ? HAPPY : NEUTRAL));
  assert.equal(changesOf(updates, EVERY_50MS), []);
  assert.ok(updates.every((u) => u.stable.label === 'neutral'));
});

test('hysteresis: a sustained lead switches once it has held minDwellMs', () => {
  const { updates } = run(HYSTERESIS, EVERY_50MS, (t) => (t >= 1000 ? HAPPY : NEUTRAL));
  assert.equal(changesOf(updates, EVERY_50MS), [[1400, 'neutral', 'happy']]);
  assert.is(updates[EVERY_50MS.indexOf(1350)].stable.label, 'neutral');
  assert.is(updates[EVERY_50MS.length - 1].stable.label, 'happy');
});

test('hysteresis: a lead falling below the margin restarts the dwell timer', () => {
  // happy still leads at 1400 but by 0.04 < switchMargin: the lead's clock starts again at 1450.
  const weak = dist('happy', 0.42, ['neutral', 0.38]);
  const { updates } = run(HYSTERESIS, EVERY_50MS, (t) => (t < 1000 ? NEUTRAL : t === 1400 ? weak : HAPPY));
  assert.equal(changesOf(updates, EVERY_50MS), [[1850, 'neutral', 'happy']]);
});

test('hysteresis: a new leader restarts the dwell timer', () => {
  // happy leads 1000..1300, then surprise: surprise's own 400 ms run from 1350, not happy's start.
  const surprise = dist('surprise', 0.6, ['neutral', 0.2]);
  const { updates } = run(HYSTERESIS, EVERY_50MS, (t) => (t < 1000 ? NEUTRAL : t <= 1300 ? HAPPY : surprise));
  assert.equal(changesOf(updates, EVERY_50MS), [[1750, 'neutral', 'surprise']]);
});

test('hysteresis: a lead smaller than switchMargin never switches, however long it lasts', () => {
  const times = frameTimes(30, 10_000);
  const narrow = dist('happy', 0.45, ['neutral', 0.4]);
  for (const config of [{ ...HYSTERESIS, minDwellMs: 0 }, DEFAULTS]) {
    const { updates } = run(config, times, (t) => (t === 0 ? NEUTRAL : narrow));
    assert.equal(changesOf(updates, times), [], JSON.stringify(config));
  }
});

test('hysteresis: flickering between two close classes gives far fewer stable than raw changes', () => {
  // A talking face: neutral and happy swap the lead every frame; underneath, neutral is favoured
  // for 5 s, then happy.
  const times = frameTimes(30, 10_000);
  const noise = lcg(7);
  const frames = times.map((t, k) => {
    const d = (t < 5000 ? 0.15 : -0.15) + (k % 2 === 0 ? 1 : -1) * (0.2 + 0.1 * noise());
    return dist('neutral', 0.4 + d / 2, ['happy', 0.4 - d / 2]);
  });
  const smoother = new EmotionSmoother(DEFAULTS);
  const updates = frames.map((f, k) => smoother.update(f, times[k]));
  const rawChanges = frames.filter((f, k) => k > 0 && argmax(f) !== argmax(frames[k - 1])).length;
  const stableChanges = updates.filter((u) => u.changed).length;
  assert.ok(rawChanges >= 250, `raw changes ${rawChanges}`);
  assert.ok(stableChanges * 5 <= rawChanges, `stable ${stableChanges} vs raw ${rawChanges}`);
  assert.is(stableChanges, 1);
  assert.is(updates[0].stable.label, 'neutral');
  assert.is(updates[updates.length - 1].stable.label, 'happy');
});

test('no smoothing (all settings 0) reproduces each frame: raw label, scores and changes', () => {
  const next = lcg(42);
  const times = [0, 33, 66, 66, 120, 121, 300, 250, 400, 433, 466, 500, 900, 901, 950];
  let previous: Emotion | null = null;
  const smoother = new EmotionSmoother(RAW);
  for (const t of times) {
    const raw = {} as EmotionScores;
    for (const e of EMOTIONS) raw[e] = next();
    const total = EMOTIONS.reduce((sum, e) => sum + raw[e], 0);
    for (const e of EMOTIONS) raw[e] /= total;
    const { stable, changed } = smoother.update(raw, t);
    const label = argmax(raw);
    assert.is(stable.label, label, `at ${t} ms`);
    assert.is(stable.confidence, raw[label]);
    assert.equal(stable.scores, raw);
    assert.equal(changed, previous !== null && previous !== label ? { from: previous, to: label } : undefined, `at ${t} ms`);
    previous = label;
  }
});

test('summary: shares by time of the stable label, dominant, duration, frames and mean confidence', () => {
  const smoother = new EmotionSmoother(RAW);
  smoother.update(dist('happy', 0.8), 1000);
  smoother.update(dist('happy', 0.6), 1100);
  smoother.update(dist('sad', 0.7), 1300);
  smoother.update(dist('happy', 0.9), 1400);
  const summary = smoother.summary();
  // Mean interval 400 / 3; happy holds 100 + 200 + 400/3, sad 100, of 400 + 400/3 in all.
  const { share, ...rest } = summary;
  assert.equal(Object.keys(share), [...EMOTIONS]);
  close(share.happy, 13 / 16, 'happy share');
  close(share.sad, 3 / 16, 'sad share');
  for (const e of EMOTIONS.filter((e) => e !== 'happy' && e !== 'sad')) assert.is(share[e], 0, e);
  close(rest.meanConfidence, 0.75, 'mean confidence');
  assert.equal({ ...rest, meanConfidence: 0 }, { startMs: 1000, endMs: 1400, durationMs: 400, frames: 4, dominant: 'happy', meanConfidence: 0 });
});

test('summary: dominant is the label held longest, not the most frequent; ties go to EMOTIONS order', () => {
  const longest = new EmotionSmoother(RAW);
  for (const [e, t] of [['angry', 0], ['angry', 10], ['sad', 20], ['angry', 1000]] as const) longest.update(dist(e, 0.9), t);
  assert.is(longest.summary().dominant, 'sad');
  close(longest.summary().share.sad, 980 / (1000 + 1000 / 3), 'sad share');
  const tie = new EmotionSmoother(RAW);
  tie.update(dist('sad', 0.9), 0);
  tie.update(dist('angry', 0.9), 100);
  assert.equal([tie.summary().share.angry, tie.summary().share.sad, tie.summary().dominant], [0.5, 0.5, 'angry']);
});

test('summary: shares count the stable label, so a flip hysteresis held back does not show', () => {
  const { smoother } = run(HYSTERESIS, EVERY_50MS, (t) => (t >= 1000 && t <= 1350 ? HAPPY : NEUTRAL));
  assert.is(smoother.summary().share.neutral, 1);
  assert.is(smoother.summary().share.happy, 0);
});

test('summary: a one-frame track has duration 0 and share 1 for its label', () => {
  const smoother = new EmotionSmoother(DEFAULTS);
  const { stable } = smoother.update(dist('fear', 0.55), 2500);
  const summary = smoother.summary();
  assert.equal(Object.keys(summary.share), [...EMOTIONS]);
  assert.equal(summary, {
    startMs: 2500,
    endMs: 2500,
    durationMs: 0,
    frames: 1,
    share: { angry: 0, disgust: 0, fear: 1, happy: 0, neutral: 0, sad: 0, surprise: 0 },
    dominant: 'fear',
    meanConfidence: stable.confidence,
  });
  assert.is(stable.confidence, 0.55);
});

test('summary: a track spanning no time weighs its updates alike', () => {
  const smoother = new EmotionSmoother(RAW);
  smoother.update(dist('sad', 0.9), 40);
  smoother.update(dist('happy', 0.9), 40);
  const { share, dominant, durationMs, frames } = smoother.summary();
  assert.equal([share.sad, share.happy, dominant, durationMs, frames], [0.5, 0.5, 'happy', 0, 2]);
});

test('time going backwards counts as no time: the frame does not move the average or the track end', () => {
  const smoother = new EmotionSmoother({ ...DEFAULTS, timeConstantMs: 100 });
  smoother.update(dist('happy', 0.9), 0);
  const before = smoother.update(dist('sad', 0.9), 100).stable;
  const after = smoother.update(dist('angry', 0.9), 50).stable;
  assert.equal(after, before);
  assert.equal([smoother.summary().endMs, smoother.summary().durationMs, smoother.summary().frames], [100, 100, 3]);
});

test('summary() before any update is a coded error', () => {
  assert.throws(() => new EmotionSmoother(DEFAULTS).summary(), (err: Error & { code?: string }) => err.code === 'ERR_INTERNAL');
});

test('returned scores are copies: changing them does not change the average', () => {
  const smoother = new EmotionSmoother(DEFAULTS);
  smoother.update(dist('happy', 0.9), 0).stable.scores.happy = 0;
  assert.is(smoother.update(dist('happy', 0.9), 0).stable.scores.happy, 0.9);
});

test.run();
