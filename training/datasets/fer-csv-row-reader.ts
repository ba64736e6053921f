import { EmotionStreamError } from '../../common/errors.ts';
import cv from '../../pipeline/opencv.ts';
import { resizeFace } from './resize-face.ts';
import { parsePixelRow } from './parse-pixel-row.ts';
import type { FaceDatasetBuilder } from './face-dataset-builder.ts';
import type { FerUsage } from './loader-options.ts';

/** Kaggle emotion id (0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral) -> EMOTIONS index (alphabetical). */
const KAGGLE_TO_EMOTION = [0, 1, 2, 3, 5, 6, 4];

/** Column positions found in the csv header. */
export interface FerCsvColumns {
  emotion: number;
  pixels: number;
  /** -1 when the file has no Usage column. */
  usage: number;
}

/** Parses fer2013.csv data rows into a FaceDatasetBuilder, one line at a time. */
export class FerCsvRowReader {
  private row = 0;
  private readonly scratch = new Uint8Array(4096);

  constructor(
    private readonly columns: FerCsvColumns,
    private readonly builder: FaceDatasetBuilder,
    private readonly usage?: FerUsage,
  ) {}

  /**
   * Finds the emotion, pixels and Usage columns (case-insensitive) in the header line.
   * @throws EmotionStreamError ERR_DATASET when emotion or pixels is missing, or Usage is missing while `usage` is set.
   */
  static header(line: string, path: string, usage?: FerUsage): FerCsvColumns {
    const names = line.split(',').map((name) => name.trim().replace(/^"|"$/g, '').toLowerCase());
    const columns = { emotion: names.indexOf('emotion'), pixels: names.indexOf('pixels'), usage: names.indexOf('usage') };
    const missing = [columns.emotion < 0 && 'emotion', columns.pixels < 0 && 'pixels', usage && columns.usage < 0 && 'Usage'].filter(Boolean);
    if (missing.length > 0) {
      throw new EmotionStreamError('ERR_DATASET', `${path} is not a labelled fer2013.csv: its header "${line.slice(0, 80)}" lacks ${missing.join(', ')}`, {
        context: { path, header: line.slice(0, 200) },
      });
    }
    return columns;
  }

  /** Reads one data line (`lineNo` is 1-based in the file, for error reports); blank lines are ignored. */
  read(line: string, lineNo: number): void {
    if (line.trim() === '') return;
    const row = this.row++;
    const fields = line.split(',').map((field) => field.trim().replace(/^"|"$/g, ''));
    const usage = this.columns.usage >= 0 ? fields[this.columns.usage] : undefined;
    const source = usage === undefined ? `csv:${row}` : `csv:${row}:${usage}`;
    if (this.usage && usage !== this.usage) return;
    const result = this.parse(fields);
    if (typeof result === 'string') this.builder.skip(source, `line ${lineNo}: ${result}`);
    else this.builder.add(result.pixels, result.label, source);
  }

  private parse(fields: string[]): { pixels: Uint8Array; label: number } | string {
    const { emotion, pixels } = this.columns;
    if (fields.length <= Math.max(emotion, pixels, this.columns.usage)) return `expected at least ${Math.max(emotion, pixels) + 1} columns, got ${fields.length}`;
    const id = Number(fields[emotion]);
    if (!Number.isInteger(id) || id < 0 || id >= KAGGLE_TO_EMOTION.length) return `emotion "${fields[emotion].slice(0, 20)}" is not an id 0..6`;
    const count = parsePixelRow(fields[pixels], this.scratch);
    if (typeof count === 'string') return count;
    const side = Math.round(Math.sqrt(count));
    if (count === 0 || side * side !== count) return `${count} pixels do not form a square image (expected 2304 = 48 x 48)`;
    return { pixels: this.resize(this.scratch.subarray(0, count), side), label: KAGGLE_TO_EMOTION[id] };
  }

  private resize(pixels: Uint8Array, side: number): Uint8Array {
    if (side === this.builder.size) return pixels;
    const mat = new cv.Mat(Buffer.from(pixels), side, side, cv.CV_8UC1);
    const data = resizeFace(mat, this.builder.size).getData();
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
}
