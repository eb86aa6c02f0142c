import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc64, type CheckpointRecord, type ListedPart } from 'oss-stream';
import { hashFileRange, partRanges, reconcileParts } from '../../lib/resumable/reconcile-parts.js';
import { pattern } from '../support/bytes.js';

const md5 = (b: Buffer) => `"${createHash('md5').update(b).digest('hex').toUpperCase()}"`;

describe('resumable/reconcileParts', () => {
  let dir: string;
  let path: string;
  const data = pattern(10_000, 9);
  const slice = (n: number) => data.subarray((n - 1) * 4096, Math.min(n * 4096, data.length));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-reconcile-'));
    path = join(dir, 'f.bin');
    await writeFile(path, data);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const record = (parts: CheckpointRecord['parts']): CheckpointRecord => ({
    uploadId: 'U',
    bucket: 'b',
    key: 'k',
    path,
    size: data.length,
    mtimeMs: 1,
    partSize: 4096,
    parts,
  });
  const listed = (n: number, over: Partial<ListedPart> = {}): ListedPart => ({
    partNumber: n,
    lastModified: '',
    etag: md5(slice(n)),
    size: slice(n).length,
    hashCrc64ecma: crc64(slice(n)),
    ...over,
  });
  const recorded = (n: number) => ({
    partNumber: n,
    etag: md5(slice(n)),
    crc64: crc64(slice(n)),
    size: slice(n).length,
  });

  it('cuts the file on the part grid', () => {
    expect(partRanges(10_000, 4096)).to.deep.equal([
      { partNumber: 1, offset: 0, size: 4096 },
      { partNumber: 2, offset: 4096, size: 4096 },
      { partNumber: 3, offset: 8192, size: 1808 },
    ]);
    expect(partRanges(8192, 4096).map((r) => r.size)).to.deep.equal([4096, 4096]);
  });

  it('hashes a file range (CRC64 and MD5), and an out-of-file range hashes to nothing', async () => {
    const h = await hashFileRange(path, 4096, 4096);
    expect(h.crc64).to.equal(crc64(slice(2)));
    expect(`"${h.md5.toUpperCase()}"`).to.equal(md5(slice(2)));
    expect(await hashFileRange(path, 9000, 4096)).to.deep.equal({ crc64: '', md5: '' });
    expect((await hashFileRange(path, 0, 0)).crc64).to.equal(crc64(Buffer.alloc(0)));
  });

  it('keeps recorded parts the server lists alike, re-sends the rest', async () => {
    const r = await reconcileParts(record([recorded(1), recorded(2), recorded(3)]), [
      listed(1, { etag: md5(slice(1)).toLowerCase().replace(/"/g, '') }), // quoting and case do not matter
      listed(2, { etag: '"OTHER"' }),
    ]);
    expect(r.done.map((p) => p.partNumber)).to.deep.equal([1]);
    expect(r.todo.map((p) => p.partNumber)).to.deep.equal([2, 3]);
    expect(r.verified).to.equal(0);
  });

  it('re-sends a recorded part whose listed CRC64 or size differs', async () => {
    const r = await reconcileParts(record([recorded(1), recorded(2)]), [
      listed(1, { hashCrc64ecma: '1' }),
      listed(2, { size: 4095 }),
    ]);
    expect(r.done).to.deep.equal([]);
    expect(r.todo.map((p) => p.partNumber)).to.deep.equal([1, 2, 3]);
  });

  it('verifies unrecorded listed parts against the file: by CRC64, or by MD5 when no CRC64 is listed', async () => {
    const r = await reconcileParts(record([]), [
      listed(1),
      listed(2, { hashCrc64ecma: undefined }),
      listed(3, { hashCrc64ecma: crc64('nope') }),
    ]);
    expect(r.done).to.deep.equal(
      [recorded(1), recorded(2)].map((p, i) => ({ ...p, etag: [listed(1), listed(2)][i]!.etag })),
    );
    expect(r.todo.map((p) => p.partNumber)).to.deep.equal([3]);
    expect(r.verified).to.equal(2);
    const noCrcBadMd5 = await reconcileParts(record([]), [listed(1, { hashCrc64ecma: undefined, etag: '"ABC"' })]);
    expect(noCrcBadMd5.todo.map((p) => p.partNumber)).to.deep.equal([1, 2, 3]);
  });

  it('fills in the CRC64 of a version-1 part once its file range matches the listing', async () => {
    const v1 = { ...recorded(1), crc64: undefined };
    const r = await reconcileParts(record([v1, { ...recorded(2), crc64: undefined }]), [
      listed(1),
      listed(2, { hashCrc64ecma: '5' }),
    ]);
    expect(r.done).to.deep.equal([recorded(1)]);
    expect(r.todo.map((p) => p.partNumber)).to.deep.equal([2, 3]);
  });
});
