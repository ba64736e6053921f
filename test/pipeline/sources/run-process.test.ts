import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { runProcess } from '../../../pipeline/sources/run-process.ts';

test('collects exit code, stdout and stderr', async () => {
  const result = await runProcess('ffprobe', ['-v', 'error', '-version']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^ffprobe version/);
  assert.is(result.timedOut, false);
  const failed = await runProcess('ffprobe', ['-v', 'error', '/nonexistent/clip.mp4']);
  assert.is(failed.code, 1);
  assert.match(failed.stderr, /No such file or directory/);
});

test('a process outliving its timeout is killed and reported', async () => {
  const started = Date.now();
  // An endless synthetic source: only the timeout can end it.
  const result = await runProcess('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'color=size=16x16:rate=5', '-f', 'null', '-'], { timeoutMs: 300 });
  assert.ok(result.timedOut);
  assert.is(result.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 3000);
});

test('a binary that does not exist rejects with ERR_FFMPEG_MISSING', async () => {
  try {
    await runProcess('/nonexistent/ffprobe', []);
    assert.unreachable('should reject');
  } catch (err) {
    assert.ok(isEmotionStreamError(err));
    assert.is(err.code, 'ERR_FFMPEG_MISSING');
  }
});

test.run();
