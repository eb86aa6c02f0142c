// Memory stays flat: peak external memory (array buffers, and part buffers the page-buffers addon maps) of THIS
// process (the server runs in a child) is bounded by the window.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createUploadStream, type Bucket } from 'oss-stream';
import { startDiscardBucket, type ChildServer } from '../support/child-server.js';
import { peakExternal } from '../support/peak-memory.js';

const MiB = 1024 * 1024;

describe('sinks: memory on a 512 MiB unknown-length stream', function () {
  this.timeout(120_000);
  let server: ChildServer;
  let bucket: Bucket;

  before(async () => {
    ({ server, bucket } = await startDiscardBucket());
  });
  after(async () => {
    await bucket?.close();
    await server?.stop();
  });

  it('peak external memory ≤ 1.25 × (concurrency + 1) × partSize + 32 MiB', async () => {
    const partSize = 8 * MiB;
    const concurrency = 4;
    const chunk = Buffer.alloc(1 * MiB, 0x61);
    async function* source() {
      // the same 1 MiB view 512 times: the sink copies, so reusing it is safe and costs no memory
      for (let i = 0; i < 512; i++) yield chunk;
    }
    const sink = createUploadStream(bucket, 'big/unknown.bin', { partSize, concurrency });
    const { used } = await peakExternal(() => pipeline(Readable.from(source()), sink));
    const bound = 1.25 * (concurrency + 1) * partSize + 32 * MiB;
    expect(sink.result!.size).to.equal(512 * MiB);
    expect(sink.result!.parts!.length).to.equal(64);
    expect(used, `peak ${(used / MiB).toFixed(1)} MiB, bound ${(bound / MiB).toFixed(1)} MiB`).to.be.at.most(bound);
  });
});
