import type { FaceDataset } from './face-dataset.ts';
import type { FerUsage } from './loader-options.ts';
import { FERPLUS_SPLITS } from './ferplus-split.ts';

/**
 * A new dataset holding the images whose source passes `predicate`, in their original order
 * (copies; the input is untouched). `skipped` entries are filtered by the same predicate and
 * `dropped` is kept as is (it counts rows that have no source).
 */
export function filterDataset(ds: FaceDataset, predicate: (source: string, index: number) => boolean, name = `${ds.name} (filtered)`): FaceDataset {
  const keep: number[] = [];
  for (let i = 0; i < ds.count; i++) if (predicate(ds.sources[i], i)) keep.push(i);
  const area = ds.size * ds.size;
  const k = ds.classes.length;
  const pixels = new Uint8Array(keep.length * area);
  const targets = new Float32Array(keep.length * k);
  const labels = new Uint8Array(keep.length);
  keep.forEach((from, to) => {
    pixels.set(ds.pixels.subarray(from * area, (from + 1) * area), to * area);
    targets.set(ds.targets.subarray(from * k, (from + 1) * k), to * k);
    labels[to] = ds.labels[from];
  });
  const filtered: FaceDataset = {
    ...ds,
    name,
    count: keep.length,
    pixels,
    targets,
    labels,
    sources: keep.map((i) => ds.sources[i]),
    skipped: ds.skipped.filter((item) => predicate(item.source, -1)),
  };
  return filtered;
}

/**
 * Whether a source belongs to a FER2013 split, whatever the layout: Kaggle file names
 * (`<class>/PrivateTest_123.jpg`), fer2013.csv sources (`csv:<row>:PrivateTest`) or FER+
 * split folders (`FER2013Test/...`; Valid = PublicTest, Test = PrivateTest).
 */
export function isUsage(source: string, usage: FerUsage): boolean {
  if (source.startsWith('csv:')) return source.endsWith(`:${usage}`);
  if (source.startsWith(`${FERPLUS_SPLITS[usage]}/`)) return true;
  return source.slice(source.lastIndexOf('/') + 1).startsWith(`${usage}_`);
}

/** FER2013's PrivateTest half (the split published results quote); empty when the sources carry no split. */
export function privateTest(ds: FaceDataset): FaceDataset {
  return filterDataset(ds, (source) => isUsage(source, 'PrivateTest'), `${ds.name} [PrivateTest]`);
}

/** FER2013's PublicTest half (used for validation); empty when the sources carry no split. */
export function publicTest(ds: FaceDataset): FaceDataset {
  return filterDataset(ds, (source) => isUsage(source, 'PublicTest'), `${ds.name} [PublicTest]`);
}
