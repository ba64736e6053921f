import { EMOTIONS, type Emotion } from '../../pipeline/messages.ts';
import type { FaceDataset } from './face-dataset.ts';
import { argmaxRows } from '../metrics/argmax-rows.ts';

const CLASS_COUNT = EMOTIONS.length;

/**
 * Accumulates decoded faces into the flat FaceDataset arrays. Buffers grow geometrically so a
 * loader that does not know its final count (a streamed csv) still copies each pixel only a few times.
 */
export class FaceDatasetBuilder {
  readonly size: number;
  private readonly name: string;
  private count = 0;
  private capacity: number;
  private pixels: Uint8Array;
  private targets: Float32Array;
  private readonly sources: string[] = [];
  private readonly skipped: { source: string; reason: string }[] = [];
  private readonly dropped: Record<string, number> = {};

  /** @param expected - a capacity hint (the number of inputs), not a limit. */
  constructor(name: string, size: number, expected = 1024) {
    this.name = name;
    this.size = size;
    this.capacity = Math.max(1, expected);
    this.pixels = new Uint8Array(this.capacity * size * size);
    this.targets = new Float32Array(this.capacity * CLASS_COUNT);
  }

  /** Adds one image: `pixels` has size*size bytes; `target` has 7 entries (EMOTIONS order) or is a class index (one-hot). */
  add(pixels: Uint8Array, target: number | ArrayLike<number>, source: string): void {
    const area = this.size * this.size;
    if (pixels.length !== area) throw new RangeError(`expected ${area} pixels for ${source}, got ${pixels.length}`);
    if (this.count === this.capacity) this.grow();
    this.pixels.set(pixels, this.count * area);
    const offset = this.count * CLASS_COUNT;
    if (typeof target === 'number') this.targets[offset + target] = 1;
    else for (let k = 0; k < CLASS_COUNT; k++) this.targets[offset + k] = target[k];
    this.sources.push(source);
    this.count++;
  }

  /** Records an input that could not be read (it stays out of the dataset). */
  skip(source: string, reason: string): void {
    this.skipped.push({ source, reason });
  }

  /** Counts an input that was read but deliberately left out (e.g. FER+ majority "unknown"). */
  drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  build(): FaceDataset {
    const area = this.size * this.size;
    const targets = this.targets.slice(0, this.count * CLASS_COUNT);
    const dataset: FaceDataset = {
      name: this.name,
      size: this.size,
      count: this.count,
      classes: EMOTIONS as readonly Emotion[],
      pixels: this.count === this.capacity ? this.pixels : this.pixels.slice(0, this.count * area),
      targets,
      labels: argmaxRows(targets, CLASS_COUNT),
      sources: this.sources.slice(),
      skipped: this.skipped.slice(),
    };
    if (Object.keys(this.dropped).length > 0) dataset.dropped = { ...this.dropped };
    return dataset;
  }

  private grow(): void {
    this.capacity *= 2;
    const pixels = new Uint8Array(this.capacity * this.size * this.size);
    pixels.set(this.pixels);
    this.pixels = pixels;
    const targets = new Float32Array(this.capacity * CLASS_COUNT);
    targets.set(this.targets);
    this.targets = targets;
  }
}
