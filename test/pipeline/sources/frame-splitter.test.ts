import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameSplitter } from '../../../pipeline/sources/frame-splitter.ts';

/** A deterministic byte stream: byte i is (i * 7) mod 251. */
function stream(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 7) % 251;
  return bytes;
}

test('frames come out whole and in order whatever the chunk boundaries', () => {
  const frameBytes = 37;
  const data = stream(frameBytes * 9 + 5);
  const splitter = new FrameSplitter(frameBytes);
  const frames: Buffer[] = [];
  // Chunk sizes that straddle, match and span several frames.
  const sizes = [1, 36, 37, 38, 74, 3, 100, 2];
  let offset = 0;
  for (let i = 0; offset < data.length; i += 1) {
    const size = sizes[i % sizes.length];
    frames.push(...splitter.push(data.subarray(offset, offset + size)));
    offset += size;
  }
  assert.is(frames.length, 9);
  frames.forEach((f, i) => assert.ok(f.equals(data.subarray(i * frameBytes, (i + 1) * frameBytes)), `frame ${i} differs`));
  assert.is(splitter.pendingBytes, 5);
});

test('emitted frames own their memory (later chunks do not overwrite them)', () => {
  const splitter = new FrameSplitter(4);
  const chunk = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const [a, b] = splitter.push(chunk);
  chunk.fill(0);
  splitter.push(Buffer.from([9, 9, 9, 9]));
  assert.equal([...a], [1, 2, 3, 4]);
  assert.equal([...b], [5, 6, 7, 8]);
});

test('an empty chunk yields nothing; frame size must be positive', () => {
  const splitter = new FrameSplitter(3);
  assert.equal(splitter.push(Buffer.alloc(0)), []);
  assert.is(splitter.pendingBytes, 0);
  assert.throws(() => new FrameSplitter(0), /positive integer/);
});

test.run();
