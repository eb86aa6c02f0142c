import { expect } from 'chai';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc64, FileSlice, OssError } from 'oss-stream';
import { DEFAULTS, MAX_BUFFERED_FILE_BODY } from '../../lib/config.js';
import { BufferPool } from '../../lib/parts/buffer-pool.js';
import { FilePartReader, withFileBytes } from '../../lib/parts/file-part-reader.js';
import { pattern } from '../support/bytes.js';

describe('parts/file-part-reader: FilePartReader', () => {
  const PART = 4096;
  let dir: string;
  let pool: BufferPool;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-file-parts-'));
    pool = new BufferPool({ maxIdleBytes: 1 << 20, idleMs: 60_000 });
  });
  afterEach(async () => {
    pool.clear();
    await rm(dir, { recursive: true, force: true });
  });

  async function fileOf(data: Buffer): Promise<string> {
    const path = join(dir, 'data.bin');
    await writeFile(path, data);
    return path;
  }

  it('reads each range exactly, with its CRC64, into part-sized pool buffers (the last a view on one)', async () => {
    const data = pattern(2 * PART + 123, 5);
    const reader = await FilePartReader.open(await fileOf(data), PART, pool);
    try {
      for (const [offset, size] of [
        [0, PART],
        [PART, PART],
        [2 * PART, 123],
        [1, 1],
      ] as const) {
        const part = await reader.read(offset, size);
        expect(part.data.equals(data.subarray(offset, offset + size)), `${offset}+${size}`).to.equal(true);
        expect(part.crc64).to.equal(crc64(data.subarray(offset, offset + size)));
        expect(part.data.buffer.byteLength).to.equal(PART);
        expect(pool.lent).to.equal(1);
        reader.release(part);
        expect(pool.lent).to.equal(0);
      }
    } finally {
      await reader.close();
    }
  });

  it('reuses a released buffer for the next part, and holds one buffer per part not yet released', async () => {
    const data = pattern(3 * PART, 6);
    const reader = await FilePartReader.open(await fileOf(data), PART, pool);
    try {
      const a = await reader.read(0, PART);
      const b = await reader.read(PART, PART);
      expect(b.data.buffer).to.not.equal(a.data.buffer);
      expect(pool.lent).to.equal(2);
      reader.release(a);
      const c = await reader.read(2 * PART, PART);
      expect(c.data.buffer).to.equal(a.data.buffer);
      // b was not released: its bytes are still its own
      expect(b.data.equals(data.subarray(PART, 2 * PART))).to.equal(true);
      expect(c.data.equals(data.subarray(2 * PART))).to.equal(true);
      reader.release(b);
      reader.release(c);
      expect(pool.lent).to.equal(0);
    } finally {
      await reader.close();
    }
  });

  it('a range past the end of a file that shrank: FileChanged, and its buffer is back in the pool', async () => {
    const data = pattern(2 * PART, 7);
    const path = await fileOf(data);
    const reader = await FilePartReader.open(path, PART, pool);
    try {
      await truncate(path, PART + 10);
      const err = await reader.read(PART, PART).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssError);
      expect((err as OssError).code).to.equal('FileChanged');
      expect((err as Error).message).to.include(`ended at byte ${PART + 10}`);
      expect(pool.lent).to.equal(0);
      expect(pool.idleBytes).to.equal(PART);
      // The bytes still there read as before.
      const first = await reader.read(0, PART);
      expect(first.data.equals(data.subarray(0, PART))).to.equal(true);
      reader.release(first);
    } finally {
      await reader.close();
    }
  });

  describe('withFileBytes', () => {
    it('hands a small slice over as its bytes in a part-sized pool buffer, taken back after', async () => {
      const data = pattern(3 * PART, 8);
      const path = await fileOf(data);
      const seen: Buffer[] = [];
      const out = await withFileBytes(
        new FileSlice(path, 5, 2 * PART),
        async (body) => {
          expect(body).to.be.instanceOf(Buffer);
          seen.push(body as Buffer);
          expect(pool.lent).to.equal(1);
          return 'sent';
        },
        pool,
      );
      expect(out).to.equal('sent');
      expect(seen[0]!.equals(data.subarray(5, 5 + 2 * PART))).to.equal(true);
      expect(seen[0]!.buffer.byteLength).to.equal(DEFAULTS.partSize);
      expect(pool.lent).to.equal(0);
      // A failed send gives it back as well; a caller's handle is read, not closed.
      const fh = await open(path, 'r');
      try {
        const err = await withFileBytes(new FileSlice(fh, 0, PART), () => Promise.reject(new Error('boom')), pool).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((err as Error).message).to.equal('boom');
        expect(pool.lent).to.equal(0);
        expect((await fh.stat()).size).to.equal(data.length);
      } finally {
        await fh.close();
      }
    });

    it('passes anything else as it is: other data, an empty slice, a slice over the limit', async () => {
      const path = await fileOf(pattern(10, 1));
      for (const data of [
        'text',
        new Uint8Array(3),
        new FileSlice(path, 0, 0),
        new FileSlice(path, 0, MAX_BUFFERED_FILE_BODY + 1),
      ]) {
        expect(await withFileBytes(data, async (body) => body, pool)).to.equal(data);
      }
      expect(pool.lent).to.equal(0);
    });

    it('a slice reaching past the end of the file fails with FileChanged before send, its buffer back', async () => {
      const path = await fileOf(pattern(100, 2));
      let sent = false;
      const err = await withFileBytes(new FileSlice(path, 50, 51), async () => (sent = true), pool).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as OssError).code).to.equal('FileChanged');
      expect((err as Error).message).to.include('ended at byte 100');
      expect(sent).to.equal(false);
      expect(pool.lent).to.equal(0);
    });
  });
});
