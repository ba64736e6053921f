import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EmotionStreamError } from '../../common/errors.ts';
import type { FaceDataset } from './face-dataset.ts';
import { FaceDatasetBuilder } from './face-dataset-builder.ts';
import { FerCsvRowReader } from './fer-csv-row-reader.ts';
import { DEFAULT_FACE_SIZE, type FerUsage, type LoaderOptions } from './loader-options.ts';

/** Options of the fer2013.csv loader. */
export interface FerCsvOptions extends LoaderOptions {
  /** Keep only rows whose Usage column is this split. */
  usage?: FerUsage;
}

const EXPECTED = 'fer2013.csv (header "emotion,pixels,Usage", 48*48 space-separated pixels per row)';

/**
 * Loads Kaggle's original fer2013.csv, streamed line by line (the file is ~300 MB). Kaggle's
 * emotion ids (0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral) are mapped to
 * EMOTIONS order. Malformed rows are recorded in `skipped` with their line number.
 * `sources` are "csv:<row>:<Usage>" (row = 0-based data row, as FER+'s ferNNNNNNN.png names).
 * `onProgress` reports bytes read of the file size.
 *
 * @throws EmotionStreamError ERR_DATASET when the file is missing, its header lacks emotion/pixels
 *   (or Usage while `usage` is set), or no row is usable.
 */
export async function loadFerCsv(file: string, options: FerCsvOptions = {}): Promise<FaceDataset> {
  const path = resolve(file);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new EmotionStreamError('ERR_DATASET', `dataset file ${path} does not exist: expected a ${EXPECTED}`, { context: { path } });
  const size = options.size ?? DEFAULT_FACE_SIZE;
  const builder = new FaceDatasetBuilder(`fer-csv:${path}${options.usage ? ` (${options.usage})` : ''}`, size, 4096);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let reader: FerCsvRowReader | undefined;
  let lineNo = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNo++;
    if (reader) reader.read(line, lineNo);
    else reader = new FerCsvRowReader(FerCsvRowReader.header(line, path, options.usage), builder, options.usage);
    if (lineNo % 1024 === 0) options.onProgress?.(stream.bytesRead, stat.size);
  }
  options.onProgress?.(stat.size, stat.size);
  const dataset = builder.build();
  if (dataset.count === 0) {
    const what = options.usage ? `no ${options.usage} rows` : 'no usable rows';
    throw new EmotionStreamError('ERR_DATASET', `${what} in ${path}: expected a ${EXPECTED}`, { context: { path, skipped: dataset.skipped.length } });
  }
  return dataset;
}
