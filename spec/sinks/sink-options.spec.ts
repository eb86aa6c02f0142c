// Part sizes this Node cannot allocate are refused before any request (issue 17, item 2): a part is one Buffer,
// and a Buffer over buffer.constants.MAX_LENGTH (4 GiB on Node 20) throws a RangeError outside every promise.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  crc64,
  createAppendStream,
  createUploadStream,
  MultipartWritable,
  OssArgumentError,
  ResumableStore,
  resumableUpload,
  type Bucket,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { LIMITS, MAX_BUFFER_BYTES } from '../../lib/config.js';
import { resolveSinkOptions } from '../../lib/sinks/sink-options.js';
import { chunked, pattern } from '../support/bytes.js';
import { clientFor, download, startServer } from '../support/local-oss.js';

const GiB = 2 ** 30;
const overBuffer = MAX_BUFFER_BYTES + GiB / 2; // 4.5 GiB on Node 20: OSS takes it, this Node cannot hold it

describe('sinks/sink-options', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;

  before(async function () {
    if (MAX_BUFFER_BYTES >= LIMITS.maxPartSize) this.skip(); // a Node whose Buffers hold any OSS part
    server = await startServer();
    bucket = clientFor(server);
  });
  after(async () => {
    await bucket?.close();
    await server?.close();
  });
  beforeEach(() => server.stats.reset());

  const refused = (fn: () => unknown, argument: string): OssArgumentError => {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(OssArgumentError);
    expect((caught as OssArgumentError).argument).to.equal(argument);
    expect((caught as Error).message)
      .to.include(String(MAX_BUFFER_BYTES))
      .and.include('Buffer');
    return caught as OssArgumentError;
  };

  it('MultipartWritable refuses a partSize over the Buffer limit, and nothing reaches the server', async () => {
    refused(() => new MultipartWritable(bucket, 'big/mw.bin', { partSize: overBuffer }), 'partSize');
    expect(server.stats.total.requests).to.equal(0);
  });

  it('createUploadStream refuses a partSize or multipartThreshold over the Buffer limit', async () => {
    refused(
      () => createUploadStream(bucket, 'big/us.bin', { partSize: overBuffer, contentLength: 6 * GiB }),
      'partSize',
    );
    refused(() => createUploadStream(bucket, 'big/us.bin', { multipartThreshold: overBuffer }), 'multipartThreshold');
    expect(server.stats.total.requests).to.equal(0);
  });

  it('createUploadStream refuses a contentLength whose 10,000 parts would each be over the Buffer limit', async () => {
    const e = refused(
      () => createUploadStream(bucket, 'big/huge.bin', { contentLength: 45 * 1024 * GiB }),
      'contentLength',
    );
    expect(e.message).to.include('resumableUpload');
    expect(server.stats.total.requests).to.equal(0);
  });

  it('the same limits pass: the largest part this Node can hold is accepted (nothing is allocated up front)', async () => {
    const sink = createUploadStream(bucket, 'big/max.bin', { partSize: MAX_BUFFER_BYTES, concurrency: 1 });
    // An empty stream stores an empty object without allocating a 4 GiB part.
    await pipeline(Readable.from([]), sink);
    expect(sink.result?.size).to.equal(0);
  });

  it('an unknown-length stream grows its parts up to the Buffer limit, never past it', () => {
    const o = resolveSinkOptions({ partSize: 3 * GiB }, LIMITS);
    expect(o.partSizeFor(1)).to.equal(3 * GiB);
    expect(o.partSizeFor(1001)).to.equal(MAX_BUFFER_BYTES); // 6 GiB doubled, capped at what a Buffer holds
  });

  it("concurrency 'auto' with parts over half the default maxMemory: the budget becomes two parts, unless given", () => {
    // The default budget (256 MiB) cannot hold two 3 GiB parts: a large partSize alone must not become an error.
    expect(resolveSinkOptions({ partSize: 3 * GiB }, LIMITS).maxMemory).to.equal(6 * GiB);
    expect(resolveSinkOptions({ partSize: 8 * 1024 * 1024 }, LIMITS).maxMemory).to.equal(256 * 1024 * 1024);
    expect(() => resolveSinkOptions({ partSize: 3 * GiB, maxMemory: 4 * GiB }, LIMITS))
      .to.throw(OssArgumentError)
      .with.property('argument', 'maxMemory');
  });

  it('createAppendStream refuses a flushBytes over the Buffer limit with an OssArgumentError, not a RangeError', () => {
    let caught: unknown;
    try {
      createAppendStream(bucket, 'big/log', { flushBytes: overBuffer });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(OssArgumentError);
    expect((caught as OssArgumentError).argument).to.equal('flushBytes');
    expect(server.stats.total.requests).to.equal(0);
  });
});

// ali-oss's multipartUpload writes `headers['Content-Length'] = partSize` into the options object it is given, so a
// second call with the same object sends the shorter last part and the Complete XML with a whole part's length. Ours
// only read what the caller passes: one frozen object serves any number of uploads.
describe("sinks/sink-options: the caller's options are read, never written", function () {
  this.timeout(30_000);
  const KiB = 1024;
  const limits = { minPartSize: KiB };
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-options-'));
  });
  after(async () => {
    await bucket?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Freezes `value` and everything it holds: in strict mode any write into it throws a TypeError. */
  function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
  }

  it('one deeply frozen options object serves two uploads of each kind, each stored whole with its headers', async () => {
    let reports = 0;
    const opts = deepFreeze({
      partSize: 64 * KiB,
      concurrency: 2,
      multipartThreshold: 64 * KiB,
      headers: { 'Cache-Control': 'no-cache' },
      meta: { owner: 'spec' },
      onProgress: () => void reports++,
    });
    // Five parts, the last one shorter: the request a reused ali-oss options object gets wrong.
    const data = pattern(300 * KiB + 7, 3);
    const file = join(dir, 'data.bin');
    await writeFile(file, data);
    const check = async (key: string): Promise<void> => {
      expect((await download(bucket, key)).equals(data), key).to.equal(true);
      const head = await bucket.headObject(key);
      expect(head.crc64, key).to.equal(crc64(data));
      expect(head.meta, key).to.deep.equal({ owner: 'spec' });
      expect(head.headers['cache-control'], key).to.equal('no-cache');
    };
    // The store is the caller's object, not part of the options: frozen shallowly, its own state stays writable.
    const fileOpts = Object.freeze({ ...opts, store: new ResumableStore({ root: dir }) });
    for (const round of [1, 2]) {
      await pipeline(Readable.from(chunked(data)), createUploadStream(bucket, `reuse/stream-${round}`, opts));
      await check(`reuse/stream-${round}`);
      await resumableUpload(bucket, `reuse/file-${round}`, file, fileOpts);
      await check(`reuse/file-${round}`);
      await bucket.putObject(`reuse/put-${round}`, data, opts);
      await check(`reuse/put-${round}`);
    }
    expect(server.stats.op('CompleteMultipartUpload').requests).to.equal(4);
    expect(reports).to.be.greaterThan(0);
  });
});
