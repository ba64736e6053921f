import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEmotionStreamError } from '../../../common/errors.ts';
import { writeTrainingReport } from '../../../training/report/training-report.ts';
import { tempDir } from '../../helpers/paths.ts';
import { findAll, parseXml, textOf, type XmlElement } from './xml-tree.ts';
import { sampleReport } from './sample-report.ts';

const HOSTILE = '<script>alert("x")</script>';

/** The SVG documents embedded as data-URI images under `root`. */
function embeddedSvgs(root: XmlElement): string[] {
  return findAll(root, 'img').map((img) => {
    const prefix = 'data:image/svg+xml;base64,';
    assert.ok(img.attrs.src.startsWith(prefix), `img src is not an SVG data URI: ${img.attrs.src.slice(0, 40)}`);
    return Buffer.from(img.attrs.src.slice(prefix.length), 'base64').toString('utf8');
  });
}

function sections(root: XmlElement, cls: string): XmlElement[] {
  return findAll(root, 'section').filter((s) => s.attrs.class === cls);
}

test('writes report.json with the whole report and a self-contained report.html', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const report = sampleReport(30);
    const out = await writeTrainingReport(join(dir, 'models', 'seed-cnn', '1.0.0'), report);
    assert.is(out.jsonPath, join(dir, 'models', 'seed-cnn', '1.0.0', 'report.json'));
    assert.equal(JSON.parse(await readFile(out.jsonPath, 'utf8')), report);
    const html = await readFile(out.htmlPath, 'utf8');
    assert.not.match(html, /<script|<link|https?:\/\/(?!www\.w3\.org)/i, 'no scripts or external assets');
    const root = parseXml(html);
    assert.is(root.name, 'html');
    const evals = sections(root, 'evaluation');
    assert.equal(evals.map((s) => textOf(findAll(s, 'h2')[0])), ['FER2013 test (7,178)', 'FER2013 test with flip TTA (7,178)', 'PrivateTest (3,589)']);
    for (const s of evals) {
      const [svg] = embeddedSvgs(s);
      assert.is(findAll(s, 'img').length, 1, 'one heatmap per evaluation');
      assert.is(findAll(parseXml(svg), 'g').filter((g) => g.attrs['data-cell']).length, 49);
    }
    const curves = embeddedSvgs(sections(root, 'history')[0]).map(parseXml);
    assert.is(curves.length, 2);
    assert.equal(curves.map((svg) => svg.attrs['aria-label']), ['Model Accuracy', 'Model Loss']);
    assert.is(findAll(root, 'img').length, evals.length + 2);
  } finally {
    cleanup();
  }
});

test('the header and tables carry the run facts and metrics', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const report = sampleReport(30);
    const root = parseXml(await readFile((await writeTrainingReport(dir, report)).htmlPath, 'utf8'));
    const page = textOf(root);
    for (const fact of ['seed-cnn', '1.0.0', '2,345,671', 'fer2013 (kaggle folders)', 'wasm (2 workers)', '20 min 35 s', '712.4 images/s', 'horizontalFlip', 'adam']) {
      assert.ok(page.includes(fact), `page lacks ${fact}`);
    }
    const first = report.evaluations[0].metrics;
    const accuracy = `${(first.accuracy * 100).toFixed(2)}%`;
    assert.ok(textOf(sections(root, 'evaluation')[0]).includes(accuracy), `missing accuracy ${accuracy}`);
    const rows = findAll(sections(root, 'evaluation')[0], 'tbody')[0].children.filter((c) => typeof c !== 'string') as XmlElement[];
    assert.is(rows.length, 7);
    assert.equal(findAll(rows[3], 'td').map(textOf).at(-1), first.perClass.happy.support.toLocaleString('en-US'));
  } finally {
    cleanup();
  }
});

test('escapes a hostile name everywhere it appears, including inside the embedded SVG', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const base = sampleReport(5);
    const report = sampleReport(5, {
      model: { ...base.model, name: HOSTILE, version: '"><img src=x onerror=alert(1)>' },
      evaluations: [{ name: HOSTILE, metrics: base.evaluations[0].metrics }],
      notes: [HOSTILE],
      training: { ...base.training, dataset: HOSTILE, augmentation: { [HOSTILE]: HOSTILE } },
    });
    const html = await readFile((await writeTrainingReport(dir, report)).htmlPath, 'utf8');
    assert.not.match(html, /<script/i);
    assert.not.match(html, /<img src=x/);
    const root = parseXml(html);
    assert.is(findAll(root, 'script').length, 0);
    assert.ok(textOf(findAll(root, 'h1')[0]).includes(HOSTILE), 'the name is shown as text');
    assert.ok(textOf(findAll(root, 'title')[0]).includes(HOSTILE));
    for (const svg of embeddedSvgs(root)) {
      assert.not.match(svg, /<script/i);
      parseXml(svg);
    }
  } finally {
    cleanup();
  }
});

test('an empty history still renders, saying there is no training history', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const report = sampleReport(0);
    assert.is(report.history.length, 0);
    const { htmlPath, jsonPath } = await writeTrainingReport(dir, report);
    const root = parseXml(await readFile(htmlPath, 'utf8'));
    const history = sections(root, 'history')[0];
    assert.is(findAll(history, 'img').length, 0);
    assert.match(textOf(history), /no training history/);
    assert.is(findAll(root, 'img').length, report.evaluations.length);
    assert.equal(JSON.parse(await readFile(jsonPath, 'utf8')).history, []);
  } finally {
    cleanup();
  }
});

test('a directory that cannot be created is a coded ERR_TRAINING error with the cause', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const err = await writeTrainingReport(join(blocker, 'report'), sampleReport(2)).then(() => undefined, (e: unknown) => e);
    assert.ok(isEmotionStreamError(err), `expected a coded error, got ${String(err)}`);
    if (!isEmotionStreamError(err)) return;
    assert.is(err.code, 'ERR_TRAINING');
    assert.ok(err.cause, 'the fs error rides along as the cause');
    assert.match(err.message, /cannot write the training report/);
  } finally {
    cleanup();
  }
});

test.run();
