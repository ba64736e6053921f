import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPerson } from '../../../services/cli/run-with-progress.ts';
import type { PersonSummary } from '../../../pipeline/run-stats.ts';

const person: PersonSummary = {
  trackId: 3, firstSeenMs: 0, lastSeenMs: 12_400, frames: 310, dominant: 'happy', meanConfidence: 0.8,
  share: { angry: 0, disgust: 0, fear: 0.01, happy: 0.7, neutral: 0.29, sad: 0, surprise: 0 },
};

test('a person is named by track, with the shares above 5%, largest first', () => {
  assert.is(formatPerson(person), 'person #3 0.0-12.4 s: happy 70%, neutral 29% (mostly happy, 310 frames)');
});

test('with re-identification, a person back on a later track is named as the person first, then the track', () => {
  assert.is(formatPerson({ ...person, personId: 1 }), 'person #1 again (track #3) 0.0-12.4 s: happy 70%, neutral 29% (mostly happy, 310 frames)');
  assert.ok(formatPerson({ ...person, personId: 3 }).startsWith('person #3 0.0'), 'a new person is named once');
});

test.run();
