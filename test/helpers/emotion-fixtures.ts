import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTIONS, type Emotion } from '../../pipeline/messages.ts';
import { pixelField, writeImage } from '../training/datasets/helpers/face-fixtures.ts';

/**
 * Tiny labelled datasets for training and evaluation tests, in every layout loadDataset reads.
 * Each class has its own look, so a model can learn something in an epoch or two: a background
 * level of 30 + 30 * classIndex (mean intensity well apart between classes), stripes whose
 * orientation and period depend on the class, and a little deterministic per-image variation.
 */
export const FIXTURE_SIZE = 48;

/** Mean gray level of class `k`'s images (0..255). */
export function classLevel(k: number): number {
  return 30 + 30 * k;
}

/** A FIXTURE_SIZE² gray image of class `k`; `variant` changes phase and noise, never the class look. */
export function classPattern(k: number, variant: number, size = FIXTURE_SIZE): Uint8Array {
  const out = new Uint8Array(size * size);
  const period = 4 + (k % 3) * 4;
  let s = (k * 7919 + variant * 104729 + 1) >>> 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const coord = k % 2 === 0 ? y + variant : x + variant; // even classes: horizontal stripes, odd: vertical
      const stripe = Math.floor(coord / (period / 2)) % 2 === 0 ? 18 : -18;
      s = (s * 1103515245 + 12345) >>> 0;
      const noise = ((s >>> 16) % 9) - 4;
      out[y * size + x] = Math.max(0, Math.min(255, classLevel(k) + stripe + noise));
    }
  }
  return out;
}

export interface FixtureOptions {
  /** Images per class. */
  perClass: number;
  /** Offsets `variant` so two sets (train / test) never share an image. */
  variantBase?: number;
  /** Which classes (default all seven). */
  classes?: readonly Emotion[];
}

function each(options: FixtureOptions, visit: (emotion: Emotion, k: number, variant: number, i: number) => void): void {
  const classes = options.classes ?? EMOTIONS;
  for (const emotion of classes) {
    const k = EMOTIONS.indexOf(emotion);
    for (let i = 0; i < options.perClass; i++) visit(emotion, k, (options.variantBase ?? 0) + i, i);
  }
}

/**
 * Kaggle FER2013 folders: `<dir>/<emotion>/<Usage>_<n>.png`. `usage` names the file prefix; for a
 * test folder 'split' alternates PublicTest / PrivateTest like the real one.
 */
export function writeKaggleFolders(dir: string, options: FixtureOptions & { usage: 'Training' | 'split'; ext?: 'png' | 'jpg' }): void {
  each(options, (emotion, k, variant, i) => {
    const usage = options.usage === 'split' ? (i % 2 === 0 ? 'PublicTest' : 'PrivateTest') : 'Training';
    writeImage(join(dir, emotion, `${usage}_${k}${String(i).padStart(3, '0')}.${options.ext ?? 'png'}`), classPattern(k, variant), FIXTURE_SIZE, FIXTURE_SIZE);
  });
}

/** Plain `<dir>/<emotion>/<n>.jpg` folders (fewer than seven classes makes it an image-folder dataset). */
export function writeImageFolder(dir: string, options: FixtureOptions): void {
  each(options, (emotion, k, variant, i) => {
    writeImage(join(dir, emotion, `face-${i}.jpg`), classPattern(k, variant), FIXTURE_SIZE, FIXTURE_SIZE);
  });
}

/** FER+ columns after image and box: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF. */
const FERPLUS_ORDER: readonly Emotion[] = ['neutral', 'happy', 'surprise', 'sad', 'angry', 'disgust', 'fear'];

/** A FER+ split folder (`<dir>/label.csv` + `ferNNNNNNN.png`), 10 votes per image, 8 for the true class. */
export function writeFerPlusSplit(dir: string, options: FixtureOptions): void {
  mkdirSync(dir, { recursive: true });
  const rows: string[] = [];
  let n = 0;
  each(options, (emotion, k, variant) => {
    const name = `fer${String(n++).padStart(7, '0')}.png`;
    writeImage(join(dir, name), classPattern(k, variant), FIXTURE_SIZE, FIXTURE_SIZE);
    const votes = FERPLUS_ORDER.map((e): number => (e === emotion ? 8 : 0));
    votes[(FERPLUS_ORDER.indexOf(emotion) + 1) % FERPLUS_ORDER.length] = 2;
    rows.push(`${name},"(0, 0, 48, 48)",${votes.join(',')},0,0,0`);
  });
  writeFileSync(join(dir, 'label.csv'), `${rows.join('\n')}\n`);
}

/** Kaggle's emotion ids in fer2013.csv: 0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral. */
const KAGGLE_ID: Record<Emotion, number> = { angry: 0, disgust: 1, fear: 2, happy: 3, sad: 4, surprise: 5, neutral: 6 };

/** A fer2013.csv (`emotion,pixels,Usage`), every row PublicTest. */
export function writeFerCsv(path: string, options: FixtureOptions): void {
  const rows = ['emotion,pixels,Usage'];
  each(options, (emotion, k, variant) => rows.push(`${KAGGLE_ID[emotion]},${pixelField(classPattern(k, variant))},PublicTest`));
  writeFileSync(path, `${rows.join('\n')}\n`);
}

/** A Kaggle-style train/ + test/ pair under `root`; returns both paths. */
export function writeTrainTestFolders(root: string, options: { trainPerClass: number; testPerClass: number }): { train: string; test: string } {
  const train = join(root, 'train');
  const test = join(root, 'test');
  writeKaggleFolders(train, { perClass: options.trainPerClass, usage: 'Training' });
  writeKaggleFolders(test, { perClass: options.testPerClass, usage: 'split', variantBase: 1000 });
  return { train, test };
}
