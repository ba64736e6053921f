import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportFormat as fmt } from '../../../training/report/report-format.ts';

test('percent, count and number', () => {
  assert.is(fmt.percent(0.55234, 2), '55.23%');
  assert.is(fmt.percent(1), '100.0%');
  assert.is(fmt.count(7178), '7,178');
  assert.is(fmt.number(1234.56, 1), '1,234.6');
});

test('durations pick their unit', () => {
  assert.is(fmt.duration(12.44), '12.4 s');
  assert.is(fmt.duration(187), '3 min 07 s');
  assert.is(fmt.duration(3725), '1 h 02 min 05 s');
});

test('missing values show a dash, never NaN', () => {
  for (const text of [fmt.percent(NaN), fmt.count(Infinity), fmt.number(NaN, 2), fmt.duration(NaN), fmt.duration(-1)]) {
    assert.is(text, '–');
  }
});

test.run();
