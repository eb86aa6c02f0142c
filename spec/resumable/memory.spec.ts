// resumableUpload holds at most its parts in flight: peak external memory (array buffers and addon-mapped part
// buffers) of THIS process (the server runs in a child) while a 128 MiB file goes up in 8 MiB parts × 4, every part
// read into memory.
import { expect } from 'chai';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc64, resumableUpload, ResumableStore, type Bucket } from 'oss-stream';
import { startDiscardBucket, type ChildServer } from '../support/child-server.js';
import { pattern } from '../support/bytes.js';
import { peakExternal } from '../support/peak-memory.js';

const MiB = 1024 * 1024;

describe('resumable: memory of a 128 MiB file upload', function () {
  this.timeout(120_000);
  let server: ChildServer;
  let bucket: Bucket;
  let dir: string;

  before(async () => {
    ({ server, bucket } = await startDiscardBucket());
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-resumable-mem-'));
  });
  after(async () => {
    await bucket?.close();
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('peak external memory ≤ 1.25 × concurrency × partSize + 32 MiB', async () => {
    const partSize = 8 * MiB;
    const concurrency = 4;
    const path = join(dir, 'big.bin');
    const block = pattern(MiB, 3);
    const fh = await open(path, 'w');
    try {
      for (let i = 0; i < 128; i++) await fh.write(block);
    } finally {
      await fh.close();
    }
    const { result: r, used } = await peakExternal(() =>
      resumableUpload(bucket, 'big/file.bin', path, {
        store: new ResumableStore({ root: dir }),
        partSize,
        concurrency,
      }),
    );
    const bound = 1.25 * concurrency * partSize + 32 * MiB;
    expect(r.size).to.equal(128 * MiB);
    expect(r.parts!.length).to.equal(16);
    // The whole object's CRC64: 128 copies of one block, combined from the parts the server verified.
    let whole = '0';
    for (let i = 0; i < 128; i++) whole = crc64(block, whole);
    expect(r.crc64).to.equal(whole);
    expect(used, `peak ${(used / MiB).toFixed(1)} MiB, bound ${(bound / MiB).toFixed(1)} MiB`).to.be.at.most(bound);
  });
});
