/**
 * The bytes every throughput contender sends: one buffer of a repeated pseudo-random 1 MiB block (cheap to build,
 * incompressible enough for a local server that does not compress anyway), and sources over it.
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MiB } from './measure.js';

/** A non-pooled buffer of `length` bytes filled with a fixed pseudo-random 1 MiB pattern. */
export function patternBuffer(length: number): Buffer {
  const block = Buffer.allocUnsafeSlow(MiB);
  let x = 0x9e3779b9;
  for (let i = 0; i < MiB; i += 4) {
    // xorshift32: deterministic bytes, so every run and every contender sends the same object
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeInt32LE(x | 0, i);
  }
  const out = Buffer.allocUnsafeSlow(length);
  out.fill(block);
  return out;
}

/**
 * A Readable handing out `chunk`-byte views of `data`, as a file or socket stream would hand out chunks (no copy
 * here, so the contender's own copying is what gets measured). Unknown length to the consumer.
 */
export function viewSource(data: Buffer, chunk = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const end = Math.min(data.length, offset + chunk);
      const view = data.subarray(offset, end);
      offset = end;
      this.push(view);
    },
  });
}

/**
 * A Readable of `total` bytes in freshly allocated `chunk`-byte buffers, like a file or socket stream: each chunk is
 * garbage once consumed, so a consumer that retains chunks shows it in the memory columns. `onChunk` is called with
 * the bytes handed out so far, after each chunk.
 */
export function freshSource(total: number, chunk = 64 * 1024, onChunk?: (produced: number) => void): Readable {
  const pattern = patternBuffer(MiB);
  let offset = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (offset >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - offset);
      const b = Buffer.allocUnsafe(n);
      for (let filled = 0; filled < n;) {
        const at = (offset + filled) % MiB;
        filled += pattern.copy(b, filled, at, Math.min(MiB, at + n - filled));
      }
      offset += n;
      this.push(b);
      onChunk?.(offset);
    },
  });
}

/** A temp directory holding `data` as a file; `cleanup()` removes it. */
export async function tempFile(
  data: Uint8Array,
  name = 'data.bin',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'oss-stream-bench-'));
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A temp file of `length` pattern bytes, written 8 MiB at a time (a 4 GiB file without a 4 GiB buffer). */
export async function tempPatternFile(length: number): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'oss-stream-bench-'));
  const path = join(dir, 'data.bin');
  const block = patternBuffer(8 * MiB);
  const fh = await open(path, 'w');
  try {
    for (let written = 0; written < length;) {
      const n = Math.min(block.length, length - written);
      await fh.write(block, 0, n);
      written += n;
    }
  } finally {
    await fh.close();
  }
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
