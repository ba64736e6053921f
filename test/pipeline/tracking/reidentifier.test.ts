import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reidentifier, type ReidOptions } from '../../../pipeline/tracking/reidentifier.ts';

const OPTIONS: ReidOptions = { windowMs: 5000, minSimilarity: 0.6, keepPerTrack: 3, refreshMs: 1000 };

/** A unit vector in 4-d along `angle` (radians) in the first plane: cos(angle difference) is the similarity. */
function face(angle: number, plane: 0 | 1 = 0): Float32Array {
  const v = new Float32Array(4);
  v[plane * 2] = Math.cos(angle);
  v[plane * 2 + 1] = Math.sin(angle);
  return v;
}

test('a new track is a new person: its person id is its own track id', () => {
  const reid = new Reidentifier(OPTIONS);
  assert.is(reid.start(1, face(0), 0), undefined);
  assert.is(reid.personOf(1), 1);
});

test('a person who leaves and comes back within the window is recognised on a new track', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.start(2, face(0, 1), 0); // someone else, at the same time
  reid.end(1, 1000);
  const back = reid.start(3, face(0.3), 4000); // cos 0.3 = 0.955
  assert.ok(back);
  assert.is(back.personId, 1);
  assert.is(back.fromTrackId, 1);
  assert.ok(Math.abs(back.similarity - Math.cos(0.3)) < 1e-6);
  assert.is(reid.personOf(3), 1);
});

test('an open track is never a candidate: two faces at once are two people, however alike', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  assert.is(reid.start(2, face(0), 100), undefined);
  assert.is(reid.personOf(2), 2);
});

test('too unlike (below minSimilarity) is a new person', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.end(1, 500);
  assert.is(reid.start(2, face(Math.acos(0.59)), 1000), undefined);
  assert.is(reid.personOf(2), 2);
});

test('past the window the person is forgotten', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.end(1, 1000);
  assert.is(reid.start(2, face(0), 1000 + OPTIONS.windowMs + 1), undefined);
  assert.is(reid.size, 1, 'only the new track is remembered');
});

test('a departed person is claimed once: the second look-alike is someone new', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.end(1, 100);
  assert.is(reid.start(2, face(0.1), 200)?.personId, 1);
  assert.is(reid.start(3, face(0.1), 300), undefined);
});

test('the best match wins among those who left; later looks at a track count', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.start(2, face(1.2), 0);
  reid.see(2, face(0.5), 500); // person 2 turned: now they look like angle 0.5
  reid.end(1, 1000);
  reid.end(2, 1000);
  const back = reid.start(3, face(0.45), 2000);
  assert.is(back?.personId, 2, 'closer to person 2\'s latest look (0.05) than to person 1 (0.45)');
});

test('a person who comes back twice keeps one person id across three tracks', () => {
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  reid.end(1, 1000);
  assert.is(reid.start(2, face(0.2), 2000)?.personId, 1);
  reid.end(2, 3000);
  const third = reid.start(3, face(0.1), 4000);
  assert.is(third?.personId, 1);
  assert.is(third?.fromTrackId, 2);
});

test('only keepPerTrack looks are kept: the oldest is let go', () => {
  const reid = new Reidentifier({ ...OPTIONS, keepPerTrack: 2 });
  reid.start(1, face(0), 0);
  reid.see(1, face(1.0), 40);
  reid.see(1, face(1.1), 80); // the look at angle 0 is gone now
  reid.end(1, 100);
  assert.is(reid.start(2, face(0), 200), undefined);
});

test('a face is due a look on a new track, then again refreshMs after the last look; one that could not be looked at stays due', () => {
  const reid = new Reidentifier(OPTIONS);
  assert.ok(reid.needsLook(1, 0), 'a track not started yet');
  reid.start(1, face(0), 0);
  assert.not.ok(reid.needsLook(1, 999));
  assert.ok(reid.needsLook(1, 1000));
  reid.see(1, face(0.1), 1000);
  assert.not.ok(reid.needsLook(1, 1500));
  reid.start(2, undefined, 1500);
  assert.ok(reid.needsLook(2, 1540), 'started without a look: due on the next frame');
});

test('rejects bad options, a repeated track and embeddings of different lengths', () => {
  assert.throws(() => new Reidentifier({ ...OPTIONS, windowMs: -1 }), /windowMs/);
  assert.throws(() => new Reidentifier({ ...OPTIONS, minSimilarity: 2 }), /minSimilarity/);
  assert.throws(() => new Reidentifier({ ...OPTIONS, keepPerTrack: 0 }), /keepPerTrack/);
  assert.throws(() => new Reidentifier({ ...OPTIONS, refreshMs: -1 }), /refreshMs/);
  const reid = new Reidentifier(OPTIONS);
  reid.start(1, face(0), 0);
  assert.throws(() => reid.start(1, face(0), 10), /started before/);
  reid.end(1, 20);
  assert.throws(() => reid.start(2, new Float32Array(3), 30), /differ in length/);
});

test.run();
