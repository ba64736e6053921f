import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitCsvLine } from '../../../training/datasets/split-csv-line.ts';

test('plain and quoted fields', () => {
  assert.equal(splitCsvLine('a,b,,c'), ['a', 'b', '', 'c']);
  assert.equal(splitCsvLine('fer0.png,"(0, 0, 48, 48)",1,2'), ['fer0.png', '(0, 0, 48, 48)', '1', '2']);
  assert.equal(splitCsvLine('"say ""hi""",x'), ['say "hi"', 'x']);
});

test.run();
