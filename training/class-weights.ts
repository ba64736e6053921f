import type { FaceDataset } from './datasets/face-dataset.ts';

/**
 * Per-class loss weights from the training label counts: 'balanced' = n / (k * count_c) as in
 * scikit-learn; 'sqrt' softens that (disgust has 436 of 28,709 FER2013 training images, and
 * full balancing trades too much accuracy on the common classes for it).
 */
export function classWeightsFor(ds: FaceDataset, mode: 'none' | 'balanced' | 'sqrt'): number[] | null {
  if (mode === 'none') return null;
  const k = ds.classes.length;
  const counts = new Array<number>(k).fill(0);
  for (const l of ds.labels) counts[l]++;
  return counts.map((c) => {
    const w = c === 0 ? 0 : ds.count / (k * c);
    return mode === 'sqrt' ? Math.sqrt(w) : w;
  });
}
