import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../../common/errors.ts';

/** Asserts that `action` throws (or rejects with) an ERR_DATASET error whose message matches `message`; returns that message. */
export async function expectDatasetError(action: () => unknown, message: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, 'expected an error, none was thrown');
  assert.ok(isEmotionStreamError(caught) && caught.code === 'ERR_DATASET', `expected ERR_DATASET, got ${String(caught)}`);
  assert.match((caught as Error).message, message);
  assert.not.match((caught as Error).message, /\n/, 'one-line message');
  return (caught as Error).message;
}
