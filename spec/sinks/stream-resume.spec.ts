import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import { crc64, createUploadStream, OssArgumentError, ResumableStore, type Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;
const limits = { minPartSize: 1 * KiB };

describe('sinks: resumable streams (resume: { store, source })', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;
  let strict: Bucket;
  let dir: string;
  let store: ResumableStore;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
    strict = clientFor(server, { limits, retries: 0 });
  });
  after(async () => {
    await bucket.close();
    await strict.close();
    await server.close();
  });
  beforeEach(async () => {
    server.faults.clear();
    server.stats.reset();
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-resume-'));
    store = new ResumableStore({ root: dir, dir: 'records' });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const records = async () => (await readdir(join(dir, 'records')).catch(() => [])).filter((f) => f.endsWith('.json'));
  /** A source that can be reopened at any offset, recording where it was opened. */
  const reopenable = (data: Buffer, opened: number[]) => (offset: number) => {
    opened.push(offset);
    const chunks: Buffer[] = [];
    for (let o = offset; o < data.length; o += 1500) chunks.push(data.subarray(o, Math.min(o + 1500, data.length)));
    return Readable.from(chunks);
  };

  it('uploads from source(0) when there is no record, and deletes the record on success', async () => {
    const data = pattern(20 * KiB + 5);
    const opened: number[] = [];
    const sink = createUploadStream(bucket, 'rs/fresh.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      resume: { store, source: reopenable(data, opened) },
    });
    await finished(sink);
    expect(opened).to.deep.equal([0]);
    expect(sink.result!.crc64).to.equal(crc64(data));
    expect((await buffer((await bucket.getObject('rs/fresh.bin')).body)).equals(data)).to.equal(true);
    expect(await records()).to.deep.equal([]);
  });

  it('continues an interrupted upload after its last recorded part, re-reading only the rest', async () => {
    const data = pattern(40 * KiB + 123, 9);
    // first run: part 6 fails for good, the upload and the record stay
    server.faults.add({ op: 'UploadPart', partNumber: 6, times: Infinity, action: { type: 'error', status: 500 } });
    const first = createUploadStream(strict, 'rs/resume.bin', {
      partSize: 4 * KiB,
      concurrency: 1,
      contentLength: data.length,
      resume: { store, source: reopenable(data, []) },
    });
    const err = await finished(first).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).to.equal('InternalError');
    expect(await records()).to.have.length(1);
    expect(await bucket.listMultipartUploads({ prefix: 'rs/resume.bin' })).to.have.length(1);
    server.faults.clear();
    server.stats.reset();
    // second run: opens the source at 5 × 4 KiB and sends parts 6..11 only
    const opened: number[] = [];
    const progress: number[] = [];
    const second = createUploadStream(bucket, 'rs/resume.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      onProgress: (n) => progress.push(n),
      resume: { store, source: reopenable(data, opened) },
    });
    await finished(second);
    expect(opened).to.deep.equal([5 * 4 * KiB]);
    expect(server.stats.op('UploadPart').requests).to.equal(6);
    expect(server.stats.op('UploadPart').bytesIn).to.equal(data.length - 5 * 4 * KiB);
    expect(second.result!.parts!.map((p) => p.partNumber)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(second.result!.crc64).to.equal(crc64(data)); // verified from ALL parts' CRCs, old and new
    expect((await buffer((await bucket.getObject('rs/resume.bin')).body)).equals(data)).to.equal(true);
    expect(progress[0]).to.be.at.least(5 * 4 * KiB);
    expect(progress.at(-1)).to.equal(data.length);
    expect(await records()).to.deep.equal([]);
    expect(await bucket.listMultipartUploads({ prefix: 'rs/resume.bin' })).to.deep.equal([]);
  });

  it('starts over when the source version changed (old upload aborted) or the upload is gone', async () => {
    const data = pattern(12 * KiB);
    server.faults.add({ op: 'UploadPart', partNumber: 2, times: Infinity, action: { type: 'error', status: 500 } });
    const a = createUploadStream(strict, 'rs/version.bin', {
      partSize: 4 * KiB,
      concurrency: 1,
      contentLength: data.length,
      resume: { store, source: reopenable(data, []), version: 1 },
    });
    await finished(a).catch(() => undefined);
    server.faults.clear();
    const opened: number[] = [];
    const b = createUploadStream(bucket, 'rs/version.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      resume: { store, source: reopenable(data, opened), version: 2 },
    });
    await finished(b);
    expect(opened).to.deep.equal([0]);
    expect(await bucket.listMultipartUploads()).to.deep.equal([]);
    // upload gone: abort it behind the record's back
    server.faults.add({ op: 'UploadPart', partNumber: 2, times: Infinity, action: { type: 'error', status: 500 } });
    const c = createUploadStream(strict, 'rs/gone.bin', {
      partSize: 4 * KiB,
      concurrency: 1,
      contentLength: data.length,
      resume: { store, source: reopenable(data, []) },
    });
    await finished(c).catch(() => undefined);
    server.faults.clear();
    await bucket.abortMultipartUpload('rs/gone.bin', c.uploadId!);
    const opened2: number[] = [];
    const d = createUploadStream(bucket, 'rs/gone.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      resume: { store, source: reopenable(data, opened2) },
    });
    await finished(d);
    expect(opened2).to.deep.equal([0]);
    expect((await buffer((await bucket.getObject('rs/gone.bin')).body)).equals(data)).to.equal(true);
  });

  it('refuses bytes written to it by the caller (it reads its own source)', async () => {
    const data = pattern(6 * KiB);
    const sink = createUploadStream(bucket, 'rs/written.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      resume: { store, source: reopenable(data, []) },
    });
    sink.on('error', () => undefined);
    const err = await new Promise<unknown>((resolve) => sink.write(Buffer.from('oops'), resolve));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as Error).message).to.match(/do not write to it/);
    await new Promise((resolve) => sink.on('close', resolve));
  });

  it('needs contentLength and a store and a source', () => {
    expect(() => createUploadStream(bucket, 'k', { resume: { store, source: () => Readable.from([]) } })).to.throw(
      OssArgumentError,
      /needs contentLength/,
    );
    expect(() =>
      createUploadStream(bucket, 'k', {
        contentLength: 1,
        resume: { store: {} as never, source: () => Readable.from([]) },
      }),
    ).to.throw(OssArgumentError, /resume.store/);
    expect(() =>
      createUploadStream(bucket, 'k', { contentLength: 1, resume: { store, source: 'x' as never } }),
    ).to.throw(OssArgumentError, /resume.source/);
  });
});
