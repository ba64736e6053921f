import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join, resolve } from 'node:path';
import { parseTrainJob, trainOptionsFor } from '../../training/train-job.ts';
import { isEmotionStreamError } from '../../common/errors.ts';

test('a queued job becomes the run it asks for: schedule, weight averaging, paths resolved, run dir named after the job', () => {
  const job = parseTrainJob({ data: 'fer/train', epochs: 9, learningRate: 1e-4, minLearningRate: 1e-4, swaStart: 2, augment: 'light', initFrom: '/models/emotion/v1' });
  const o = trainOptionsFor(job, 'train-abc/1', '/runs');
  assert.equal(
    { data: o.data, epochs: o.epochs, lr: o.learningRate, minLr: o.minLearningRate, swaStart: o.swaStart, augment: o.augment, initFrom: o.initFrom, runDir: o.runDir },
    { data: resolve('fer/train'), epochs: 9, lr: 1e-4, minLr: 1e-4, swaStart: 2, augment: 'light', initFrom: '/models/emotion/v1', runDir: join('/runs', 'train-abc_1') },
  );
});

test('a job may distil from a teacher: its path resolved, TTA shift and weight 0.5 unless it says otherwise', () => {
  const o = trainOptionsFor(parseTrainJob({ data: '/d', distill: { from: 'models/emotion' } }), 'j', '/runs');
  assert.equal(o.distill, { from: resolve('models/emotion'), tta: 'shift', weight: 0.5 });
  const flip = trainOptionsFor(parseTrainJob({ data: '/d', distill: { from: '/t', tta: 'flip', weight: 0.3 } }), 'j', '/runs');
  assert.equal(flip.distill, { from: '/t', tta: 'flip', weight: 0.3 });
  assert.is(trainOptionsFor(parseTrainJob({ data: '/d' }), 'j', '/runs').distill, undefined);
});

test('left out, the schedule is the trainer default and nothing is averaged', () => {
  const o = trainOptionsFor(parseTrainJob({ data: '/d' }), 'j', '/runs');
  assert.equal([o.learningRate, o.minLearningRate, o.swaStart], [2e-3, 2e-5, undefined]);
});

test('bad fields are one ERR_USAGE line naming them', () => {
  for (const [job, field] of [[{ data: '/d', distill: { from: '/m', weight: 2 } }, 'distill.weight'], [{ data: '/d', distill: { from: '/m', tta: 'rotate' } }, 'distill.tta'], [{ data: '/d', swaStart: 0 }, 'swaStart'], [{ data: '/d', minLearningRate: -1 }, 'minLearningRate'], [{ data: '/d', swa: 1 }, 'swa']] as const) {
    try {
      parseTrainJob(job);
      assert.unreachable(`accepted ${JSON.stringify(job)}`);
    } catch (err) {
      assert.ok(isEmotionStreamError(err) && err.code === 'ERR_USAGE', String(err));
      assert.match((err as Error).message, field);
    }
  }
});

test.run();
