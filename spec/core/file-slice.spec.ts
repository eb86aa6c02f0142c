import { expect } from 'chai';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { FileSlice } from '../../lib/core/file-slice.js';
import { OssArgumentError } from '../../lib/errors.js';

describe('core/file-slice', () => {
  let dir: string;
  let file: string;
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) & 0xff));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-slice-'));
    file = join(dir, 'data.bin');
    await writeFile(file, data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads exactly its range, again and again', async () => {
    const s = new FileSlice(file, 100_000, 150_001);
    const a = await buffer(s.stream(4096));
    const b = await buffer(s.stream());
    expect(a.equals(data.subarray(100_000, 250_001))).to.equal(true);
    expect(b.equals(a)).to.equal(true);
    expect(s.path).to.equal(file);
  });

  it('reads from an open handle without closing it', async () => {
    const h = await open(file, 'r');
    try {
      const s = new FileSlice(h, 299_990, 10);
      expect((await buffer(s.stream())).equals(data.subarray(299_990))).to.equal(true);
      expect((await buffer(new FileSlice(h, 0, 3).stream())).equals(data.subarray(0, 3))).to.equal(true);
      expect(s.path).to.equal(undefined);
    } finally {
      await h.close();
    }
  });

  it('handles an empty slice and rejects bad ranges', async () => {
    expect((await buffer(new FileSlice(file, 5, 0).stream())).length).to.equal(0);
    expect(() => new FileSlice(file, -1, 1)).to.throw(OssArgumentError, /offset/);
    expect(() => new FileSlice(file, 0, 1.5)).to.throw(OssArgumentError, /size/);
    expect(() => new FileSlice('', 0, 1)).to.throw(OssArgumentError, /path/);
    expect(() => new FileSlice(42 as never, 0, 1)).to.throw(OssArgumentError, /FileHandle/);
  });
});
