import { expect } from 'chai';
import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import {
  createUploadStream,
  crc64,
  MultipartWritable,
  OssAbortError,
  OssArgumentError,
  OssError,
  type Bucket,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { partBuffers } from '../../lib/parts/buffer-pool.js';
import { eventually } from '../support/eventually.js';
import { chunked, pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;
// Small parts keep the specs fast: both sides shrink the 100 KiB minimum.
const limits = { minPartSize: 1 * KiB };

describe('sinks/MultipartWritable', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;
  let strict: Bucket;

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
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
  });

  async function readBack(key: string): Promise<Buffer> {
    return buffer((await bucket.getObject(key)).body);
  }

  async function openUploads(): Promise<number> {
    return (await bucket.listMultipartUploads()).length;
  }

  it('uploads a stream as parts and commits it byte-exact with the combined CRC64', async () => {
    const data = pattern(50 * KiB + 17);
    const sink = new MultipartWritable(bucket, 'mw/basic.bin', { partSize: 8 * KiB, concurrency: 3 });
    let resultAtFinish: unknown;
    sink.on('finish', () => (resultAtFinish = sink.result));
    await pipeline(Readable.from(chunked(data, [1000, 3, 9000, 1])), sink);
    expect(resultAtFinish).to.equal(sink.result);
    const r = sink.result!;
    expect(r.mode).to.equal('multipart');
    expect(r.parts!.map((p) => p.partNumber)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(r.parts!.map((p) => p.size)).to.deep.equal([8192, 8192, 8192, 8192, 8192, 8192, 2065]);
    expect(r.crc64).to.equal(crc64(data));
    expect(r.size).to.equal(data.length);
    expect(r.etag).to.match(/^"[0-9A-F]+-7"$/);
    expect((await readBack('mw/basic.bin')).equals(data)).to.equal(true);
    expect(server.stats.op('UploadPart').requests).to.equal(7);
    expect(server.stats.op('InitiateMultipartUpload').requests).to.equal(1);
  });

  it('an empty stream makes an empty object (one empty part), never an error', async () => {
    const sink = new MultipartWritable(bucket, 'mw/empty.bin', { partSize: 8 * KiB });
    await pipeline(Readable.from([]), sink);
    expect(sink.result!.size).to.equal(0);
    expect((await bucket.headObject('mw/empty.bin')).size).to.equal(0);
  });

  it('property: any chunking × part size × concurrency stores the input exactly', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 * KiB }),
        fc.array(fc.integer({ min: 1, max: 12 * KiB }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 6 }).map((k) => k * KiB),
        fc.integer({ min: 1, max: 5 }),
        async (size, sizes, partSize, concurrency) => {
          const data = pattern(size, n);
          const key = `mw/prop-${n++}.bin`;
          const sink = new MultipartWritable(bucket, key, { partSize, concurrency });
          await pipeline(Readable.from(chunked(data, sizes)), sink);
          expect(sink.result!.crc64).to.equal(crc64(data));
          expect((await readBack(key)).equals(data)).to.equal(true);
          expect(sink.result!.parts!.length).to.equal(Math.max(1, Math.ceil(size / partSize)));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('holds the write callback while the window is full (backpressure)', async () => {
    server.faults.add({ op: 'UploadPart', times: Infinity, action: { type: 'delay', ms: 150 } });
    const partSize = 4 * KiB;
    const concurrency = 2;
    const sink = new MultipartWritable(bucket, 'mw/backpressure.bin', { partSize, concurrency });
    let accepted = 0;
    let maxAcceptedWhileFull = 0;
    const chunk = pattern(1 * KiB);
    const writes: Promise<void>[] = [];
    // Write 40 KiB as fast as the sink lets us, one chunk at a time.
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve, reject) => {
        sink.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
      accepted += chunk.length;
      if (sink.partsInFlight === concurrency)
        maxAcceptedWhileFull = Math.max(maxAcceptedWhileFull, accepted - server.stats.op('UploadPart').bytesIn);
    }
    writes.push(new Promise((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve()))));
    await Promise.all(writes);
    // Bytes accepted but not yet received by the server never exceed the window plus the part being filled.
    expect(maxAcceptedWhileFull).to.be.at.most((concurrency + 1) * partSize + chunk.length);
    expect(maxAcceptedWhileFull).to.be.greaterThan(0);
  });

  it('lets the event loop turn while a synchronous source fills parts, so sockets keep moving', async () => {
    // A source that pushes synchronously (a buffer, a generator) would have the sink copy and hash every part it
    // has room for in one tick; the parts already sent would stall meanwhile. The sink yields every 256 KiB.
    const partSize = 256 * KiB;
    const total = 4 * 1024 * KiB;
    let pushed = 0;
    const source = new Readable({
      read() {
        while (pushed < total) {
          pushed += 16 * KiB;
          if (!this.push(pattern(16 * KiB))) return;
        }
        this.push(null);
      },
    });
    const sink = new MultipartWritable(bucket, 'mw/yields.bin', { partSize, concurrency: 4 });
    let pushedAtFirstTurn = -1;
    setImmediate(() => (pushedAtFirstTurn = pushed));
    await pipeline(source, sink);
    // Without the yield, the first turn comes only once all 5 part buffers (1.25 MiB) are full.
    expect(pushedAtFirstTurn).to.be.greaterThan(0);
    expect(pushedAtFirstTurn).to.be.at.most(512 * KiB);
    expect(sink.result!.size).to.equal(total);
  });

  it('hands its part buffers to the next upload, which stores exactly its own bytes', async () => {
    partBuffers.clear();
    const partSize = 8 * KiB;
    const first = pattern(40 * KiB);
    const one = new MultipartWritable(bucket, 'mw/pool-1.bin', { partSize, concurrency: 2 });
    await pipeline(Readable.from(chunked(first, [3000])), one);
    // The spare buffers of a finished upload wait in the pool, within its (concurrency + 1) × partSize.
    expect(partBuffers.idleBytes).to.be.greaterThan(0);
    expect(partBuffers.idleBytes).to.be.at.most(3 * partSize);
    // A failed upload in between takes from the pool and gives back only what no request still reads.
    server.faults.add({ op: 'UploadPart', partNumber: 3, action: { type: 'error', status: 500 } });
    const lent = partBuffers.lent;
    const failing = new MultipartWritable(strict, 'mw/pool-3.bin', { partSize, concurrency: 2 });
    const err = await pipeline(Readable.from(chunked(first, [3000])), failing).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OssError);
    await new Promise((resolve) => (failing.closed ? resolve(undefined) : failing.once('close', resolve)));
    expect(partBuffers.idleBytes).to.be.at.most(3 * partSize);
    // Every buffer it took came back: the failed part's, the stored ones', the one being filled.
    expect(partBuffers.lent, 'buffers still out').to.equal(lent);
    // The next upload, with other bytes and a short last part, reuses them: what it stores is its own, exactly.
    const second = Buffer.alloc(30 * KiB + 5, 0x7a);
    const two = new MultipartWritable(bucket, 'mw/pool-2.bin', { partSize, concurrency: 2 });
    await pipeline(Readable.from(chunked(second, [5000])), two);
    expect(two.result!.crc64).to.equal(crc64(second));
    expect((await readBack('mw/pool-2.bin')).equals(second)).to.equal(true);
    expect((await readBack('mw/pool-1.bin')).equals(first)).to.equal(true);
    expect(partBuffers.idleBytes).to.be.at.most(3 * partSize);
  });

  it('gives its buffer back after a single PutObject too', async () => {
    // under one part: the stream ends before a part fills, so it goes as one PutObject
    const data = pattern(5 * KiB + 3, 5);
    const lent = partBuffers.lent;
    const ok = createUploadStream(bucket, 'mw/put-pool.bin', { partSize: 8 * KiB });
    await pipeline(Readable.from(chunked(data, [3000])), ok);
    expect((await readBack('mw/put-pool.bin')).equals(data)).to.equal(true);
    expect(ok.result!.parts, 'one PutObject, no parts').to.equal(undefined);
    expect(partBuffers.lent, 'buffers still out after a stored put').to.equal(lent);
  });

  it('retries a failed part from its buffer (re-signed) and still stores the exact bytes', async () => {
    server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'reset', afterBytes: 100 } });
    server.faults.add({ op: 'UploadPart', partNumber: 3, action: { type: 'error', status: 500 } });
    const data = pattern(20 * KiB);
    const sink = new MultipartWritable(bucket, 'mw/retry.bin', { partSize: 4 * KiB });
    await pipeline(Readable.from(chunked(data, [3000])), sink);
    expect((await readBack('mw/retry.bin')).equals(data)).to.equal(true);
    expect(server.stats.op('UploadPart').requests).to.equal(7);
  });

  // pipeline() rejects as soon as the SOURCE fails, without waiting for the sink to clean up, so the specs wait for
  // the sink's 'close' (after the AbortMultipartUpload) before looking at the server.
  const made: MultipartWritable[] = [];
  const track = (sink: MultipartWritable): MultipartWritable => (made.push(sink), sink);
  const failureCases: { name: string; run: () => Promise<unknown>; code: string | RegExp }[] = [
    {
      name: 'a part fails for good',
      code: 'InternalError',
      run: async () => {
        server.faults.add({ op: 'UploadPart', partNumber: 2, times: Infinity, action: { type: 'error', status: 500 } });
        await pipeline(
          Readable.from(chunked(pattern(30 * KiB), [2000])),
          track(new MultipartWritable(strict, 'mw/fail-part.bin', { partSize: 4 * KiB })),
        );
      },
    },
    {
      name: 'the source errors',
      code: 'SourceBroke',
      run: async () => {
        const sink = track(new MultipartWritable(bucket, 'mw/fail-source.bin', { partSize: 4 * KiB }));
        async function* source() {
          yield pattern(9 * KiB);
          await eventually(() => sink.uploadId !== undefined); // fail mid-upload: there is an upload to abort
          throw new OssError('source broke', { code: 'SourceBroke' });
        }
        await pipeline(Readable.from(source()), sink);
      },
    },
    {
      name: 'the sink is destroyed with an error',
      code: 'Cancelled',
      run: async () => {
        const sink = track(new MultipartWritable(bucket, 'mw/fail-destroy.bin', { partSize: 4 * KiB }));
        sink.on('error', () => undefined);
        sink.write(pattern(13 * KiB));
        await eventually(() => sink.uploadId !== undefined);
        sink.destroy(new OssError('cancelled by the caller', { code: 'Cancelled' }));
        await new Promise((resolve, reject) =>
          sink.on('close', () => (sink.errored ? reject(sink.errored) : resolve(undefined))),
        );
      },
    },
    {
      name: 'Complete fails',
      code: 'InternalError',
      run: async () => {
        server.faults.add({ op: 'CompleteMultipartUpload', times: Infinity, action: { type: 'error', status: 500 } });
        await pipeline(
          Readable.from(chunked(pattern(12 * KiB), [5000])),
          track(new MultipartWritable(strict, 'mw/fail-complete.bin', { partSize: 4 * KiB })),
        );
      },
    },
    {
      name: 'contentLength is larger than the data',
      code: 'InvalidArgument',
      run: () =>
        pipeline(
          Readable.from([pattern(9 * KiB)]),
          track(new MultipartWritable(bucket, 'mw/fail-short.bin', { partSize: 4 * KiB, contentLength: 10 * KiB })),
        ),
    },
    {
      name: 'contentLength is smaller than the data',
      code: 'InvalidArgument',
      run: () =>
        pipeline(
          Readable.from(chunked(pattern(12 * KiB), [1000])),
          track(new MultipartWritable(bucket, 'mw/fail-long.bin', { partSize: 4 * KiB, contentLength: 10 * KiB })),
        ),
    },
  ];
  for (const c of failureCases) {
    it(`when ${c.name}: errors with the first cause and leaves no multipart upload behind`, async () => {
      let caught: unknown;
      try {
        await c.run();
      } catch (err) {
        caught = err;
      }
      expect(caught, 'must fail').to.be.instanceOf(Error);
      expect((caught as OssError).code).to.match(typeof c.code === 'string' ? new RegExp(`^${c.code}$`) : c.code);
      for (const sink of made.splice(0)) if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
      expect(await openUploads()).to.equal(0);
      const key = `mw/fail-${c.name}`;
      void key;
    });
  }

  it('no object is stored when it fails (nothing half-written)', async () => {
    server.faults.add({ op: 'UploadPart', partNumber: 3, times: Infinity, action: { type: 'error', status: 500 } });
    await pipeline(
      Readable.from([pattern(20 * KiB)]),
      new MultipartWritable(strict, 'mw/never.bin', { partSize: 4 * KiB }),
    ).catch(() => undefined);
    const err = await bucket.headObject('mw/never.bin').then(
      () => undefined,
      (e: OssError) => e,
    );
    expect(err?.code).to.equal('NoSuchKey');
  });

  it('destroy() without an error cancels quietly: no error event, no upload left', async () => {
    const sink = new MultipartWritable(bucket, 'mw/cancel.bin', { partSize: 4 * KiB });
    let errored = false;
    sink.on('error', () => (errored = true));
    sink.write(pattern(13 * KiB));
    await eventually(() => expect(sink.uploadId).to.be.a('string'));
    sink.destroy();
    await new Promise((resolve) => sink.on('close', resolve));
    expect(errored).to.equal(false);
    expect(await openUploads()).to.equal(0);
    expect(((await bucket.headObject('mw/cancel.bin').catch((e: unknown) => e)) as OssError).code).to.equal(
      'NoSuchKey',
    );
  });

  it('destroy() while Complete is in flight does not race an abort against the commit', async () => {
    server.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'delay', ms: 300 } });
    const data = pattern(10 * KiB);
    const sink = new MultipartWritable(bucket, 'mw/destroy-complete.bin', { partSize: 4 * KiB });
    sink.on('error', () => undefined);
    sink.end(data);
    // Complete sent, its answer held by the server
    await eventually(() => expect(server.stats.op('CompleteMultipartUpload').requests).to.equal(1));
    sink.destroy();
    await new Promise((resolve) => sink.on('close', resolve));
    // the commit won: the object is whole, and no AbortMultipartUpload was sent behind it
    expect(server.stats.op('AbortMultipartUpload').requests).to.equal(0);
    expect((await readBack('mw/destroy-complete.bin')).equals(data)).to.equal(true);
    expect(await openUploads()).to.equal(0);
  });

  it('leavePartsOnError keeps the upload and its parts for a resume', async () => {
    server.faults.add({ op: 'UploadPart', partNumber: 3, times: Infinity, action: { type: 'error', status: 500 } });
    const sink = new MultipartWritable(strict, 'mw/keep.bin', {
      partSize: 4 * KiB,
      concurrency: 1,
      leavePartsOnError: true,
    });
    await pipeline(Readable.from([pattern(20 * KiB)]), sink).catch(() => undefined);
    const uploads = await bucket.listMultipartUploads({ prefix: 'mw/keep.bin' });
    expect(uploads.map((u) => u.uploadId)).to.deep.equal([sink.uploadId]);
    expect((await bucket.listParts('mw/keep.bin', sink.uploadId!)).map((p) => p.partNumber)).to.deep.equal([1, 2]);
    await bucket.abortMultipartUpload('mw/keep.bin', sink.uploadId!);
  });

  it('an abort signal cancels the requests in flight at once', async () => {
    server.faults.add({ op: 'UploadPart', times: Infinity, action: { type: 'delay', ms: 10_000 } });
    const ac = new AbortController();
    const t0 = Date.now();
    const done = pipeline(
      Readable.from([pattern(20 * KiB)]),
      new MultipartWritable(bucket, 'mw/abort.bin', { partSize: 4 * KiB, signal: ac.signal }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    await eventually(() => server.stats.op('UploadPart').requests > 0); // parts in flight, held by the server
    ac.abort();
    const err = await done;
    expect(err).to.be.instanceOf(OssAbortError);
    expect((err as Error).name).to.equal('AbortError');
    expect(Date.now() - t0).to.be.lessThan(3000);
    server.faults.clear();
    expect(await openUploads()).to.equal(0);
  });

  it('destroy() while InitiateMultipartUpload is in flight still aborts the upload the server created', async () => {
    // The server creates the upload at once but answers late: cutting the request off would orphan it.
    server.faults.add({ op: 'InitiateMultipartUpload', action: { type: 'delay', ms: 300 } });
    const sink = new MultipartWritable(bucket, 'mw/destroy-initiate.bin', { partSize: 4 * KiB });
    let errored = false;
    sink.on('error', () => (errored = true));
    sink.write(pattern(9 * KiB));
    await eventually(() => server.stats.op('InitiateMultipartUpload').requests === 1); // arrived, answer held
    expect(sink.uploadId).to.equal(undefined);
    sink.destroy();
    await new Promise((resolve) => sink.on('close', resolve));
    expect(errored).to.equal(false);
    expect(await openUploads()).to.equal(0);
    expect(server.stats.op('AbortMultipartUpload').requests).to.equal(1);
  });

  it('a signal aborted before construction errors the sink at once, even while the source is idle', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    const sink = new MultipartWritable(bucket, 'mw/pre-aborted.bin', { partSize: 4 * KiB, signal: ac.signal });
    const err = await new Promise<unknown>((resolve) => sink.on('error', resolve));
    expect(err).to.be.instanceOf(OssAbortError);
    expect((err as Error).name).to.equal('AbortError');
    await new Promise((resolve) => (sink.closed ? resolve(undefined) : sink.on('close', resolve)));
    expect(server.stats.total.requests).to.equal(0);
  });

  it('rejects object-mode chunks with a clear error', async () => {
    const err = await pipeline(
      Readable.from([{ line: 1 }]),
      new MultipartWritable(bucket, 'mw/object.bin', { partSize: 4 * KiB }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as Error).message).to.match(/bytes and strings only.*object mode/);
  });

  it('checks options before sending anything', () => {
    expect(() => new MultipartWritable(bucket, 'k', { partSize: 10 })).to.throw(OssArgumentError, /partSize/);
    expect(() => new MultipartWritable(bucket, 'k', { concurrency: 0 })).to.throw(OssArgumentError, /concurrency/);
    expect(() => new MultipartWritable(bucket, '/k')).to.throw(OssArgumentError, /must not start/);
    // 10,001 parts for a known size
    expect(() => new MultipartWritable(bucket, 'k', { partSize: 1 * KiB, contentLength: 10_001 * KiB })).to.throw(
      OssArgumentError,
      /10000 parts/,
    );
    expect(server.stats.total.requests).to.equal(0);
  });

  it('reports byte-accurate, monotonic progress that reaches the total only when committed', async () => {
    const data = pattern(33 * KiB);
    const seen: [number, number | null][] = [];
    const sink = new MultipartWritable(bucket, 'mw/progress.bin', {
      partSize: 4 * KiB,
      contentLength: data.length,
      onProgress: (n, t) => seen.push([n, t]),
    });
    let committedAtTotal = false;
    sink.on('finish', () => (committedAtTotal = seen.at(-1)![0] === data.length));
    await pipeline(Readable.from(chunked(data, [777])), sink);
    expect(committedAtTotal).to.equal(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).to.be.greaterThan(seen[i - 1]![0]);
    expect(seen.every(([, t]) => t === data.length)).to.equal(true);
    expect(seen.slice(0, -1).every(([n]) => n < data.length)).to.equal(true);
  });

  it('works with .pipe(): finish after commit', async () => {
    const data = pattern(10 * KiB);
    const sink = new MultipartWritable(bucket, 'mw/pipe.bin', { partSize: 4 * KiB });
    Readable.from(chunked(data, [999])).pipe(sink);
    await new Promise((resolve, reject) => sink.on('finish', resolve).on('error', reject));
    expect((await readBack('mw/pipe.bin')).equals(data)).to.equal(true);
  });

  it('is a plain Writable (instanceof)', () => {
    expect(new MultipartWritable(bucket, 'x')).to.be.instanceOf(Writable);
  });
});
