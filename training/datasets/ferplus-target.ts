import { EMOTIONS } from '../../pipeline/messages.ts';
import type { FerPlusTarget } from './loader-options.ts';

/** label.csv vote columns after `image, box`, in FERPlus order. */
export const FERPLUS_COLUMNS = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'NF'] as const;

/** EMOTIONS index of FERPlus columns 0..6; columns 7..9 (contempt, unknown, NF) have no class of ours. */
const COLUMN_TO_EMOTION = ['neutral', 'happy', 'surprise', 'sad', 'angry', 'disgust', 'fear'].map((name) =>
  (EMOTIONS as readonly string[]).indexOf(name),
);

/** What to do with one FER+ row: keep it with this target, or drop it (counted under `reason`). */
export type FerPlusDecision = { target: number | Float32Array } | { drop: string };

/**
 * Turns one image's 10 FER+ vote counts into a target over EMOTIONS.
 *
 * - `majority`: the class with the most votes among all 10 columns, as a class index. When the top
 *   count is shared, the tie goes to one of our 7 classes if any is among the tied, choosing the
 *   first in the fixed EMOTIONS order (angry, disgust, fear, happy, neutral, sad, surprise); when only
 *   contempt/unknown/NF hold the top count the row is dropped under that column's name.
 * - `distribution`: the votes of the 7 classes divided by their sum (contempt/unknown/NF ignored).
 * Rows without any vote (majority) or without a vote for our 7 classes (distribution) are dropped as "no-votes".
 */
export function ferPlusTarget(votes: ArrayLike<number>, mode: FerPlusTarget): FerPlusDecision {
  return mode === 'majority' ? majority(votes) : distribution(votes);
}

function majority(votes: ArrayLike<number>): FerPlusDecision {
  let top = 0;
  for (let c = 0; c < FERPLUS_COLUMNS.length; c++) top = Math.max(top, votes[c]);
  if (top <= 0) return { drop: 'no-votes' };
  let best = -1;
  for (let c = 0; c < COLUMN_TO_EMOTION.length; c++) {
    const emotion = COLUMN_TO_EMOTION[c];
    if (votes[c] === top && (best < 0 || emotion < best)) best = emotion;
  }
  if (best >= 0) return { target: best };
  const winner = FERPLUS_COLUMNS.findIndex((_, c) => c >= COLUMN_TO_EMOTION.length && votes[c] === top);
  return { drop: FERPLUS_COLUMNS[winner] };
}

function distribution(votes: ArrayLike<number>): FerPlusDecision {
  let emotionVotes = 0;
  for (let c = 0; c < COLUMN_TO_EMOTION.length; c++) emotionVotes += votes[c];
  if (emotionVotes <= 0) return { drop: 'no-votes' };
  const target = new Float32Array(EMOTIONS.length);
  for (let c = 0; c < COLUMN_TO_EMOTION.length; c++) target[COLUMN_TO_EMOTION[c]] = votes[c] / emotionVotes;
  return { target };
}
