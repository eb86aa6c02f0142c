import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abandonResumable, OssAbortError, OssError, resumableUpload, ResumableStore, type Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';

const limits = { minPartSize: 1024 };

describe('resumable/abandonResumable', function () {
  this.timeout(20_000);
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;
  let store: ResumableStore;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-abandon-'));
    store = new ResumableStore({ root: dir });
  });
  after(async () => {
    await bucket.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function aborted(key: string): Promise<{ path: string; uploadId: string }> {
    const path = join(dir, `${key}.bin`);
    await writeFile(path, pattern(20 * 1024));
    server.faults.add({ op: 'UploadPart', partNumber: 3, action: { type: 'delay', ms: 2000 } });
    const ac = new AbortController();
    const p = resumableUpload(bucket, key, path, {
      store,
      multipartThreshold: 1024,
      partSize: 4096,
      parallel: 1,
      signal: ac.signal,
      onProgress: (n) => n > 2 * 4096 && ac.abort(),
    });
    expect(
      await p.then(
        () => undefined,
        (e: unknown) => e,
      ),
    ).to.be.instanceOf(OssAbortError);
    server.faults.clear();
    const rec = await store.load(bucket.name, key, path);
    return { path, uploadId: rec!.uploadId };
  }

  it('aborts the recorded upload and removes the record', async () => {
    const { path, uploadId } = await aborted('ab1');
    expect((await bucket.listMultipartUploads({ prefix: 'ab1' })).map((u) => u.uploadId)).to.deep.equal([uploadId]);
    expect(await abandonResumable(bucket, 'ab1', path, { store })).to.equal(true);
    expect(await bucket.listMultipartUploads({ prefix: 'ab1' })).to.deep.equal([]);
    expect(await store.load(bucket.name, 'ab1', path)).to.equal(undefined);
    expect(await abandonResumable(bucket, 'ab1', path, { store }), 'nothing left to abandon').to.equal(false);
  });

  it('an upload already gone still counts as abandoned', async () => {
    const { path, uploadId } = await aborted('ab2');
    await bucket.abortMultipartUpload('ab2', uploadId);
    expect(await abandonResumable(bucket, 'ab2', path, { store })).to.equal(true);
    expect(await store.load(bucket.name, 'ab2', path)).to.equal(undefined);
  });

  it('keeps the record when the abort fails for another reason, so the call can be repeated', async () => {
    const { path } = await aborted('ab3');
    server.faults.add({ op: 'AbortMultipartUpload', times: 10, action: { type: 'error', status: 503 } });
    const err = await abandonResumable(bucket, 'ab3', path, { store }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as OssError).status).to.equal(503);
    expect(await store.load(bucket.name, 'ab3', path)).to.not.equal(undefined);
    server.faults.clear();
    expect(await abandonResumable(bucket, 'ab3', path, { store })).to.equal(true);
  });
});
