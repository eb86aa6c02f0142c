import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import chain from 'stream-chain';
import { crc64, createUploadStream, OssCallbackError, type Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { chunked, pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;
const limits = { minPartSize: 1 * KiB };

describe('sinks/createUploadStream', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
  });

  const ops = () => ({
    put: server.stats.op('PutObject').requests,
    init: server.stats.op('InitiateMultipartUpload').requests,
    parts: server.stats.op('UploadPart').requests,
    complete: server.stats.op('CompleteMultipartUpload').requests,
  });
  const readBack = async (key: string) => buffer((await bucket.getObject(key)).body);

  for (const [name, size, expectMode] of [
    ['an empty stream', 0, 'put'],
    ['a stream under the threshold', 3 * KiB, 'put'],
    ['a stream of exactly the threshold', 4 * KiB, 'put'],
    ['a stream one byte over the threshold', 4 * KiB + 1, 'multipart'],
  ] as const) {
    it(`stores ${name} with ${expectMode === 'put' ? 'one PutObject' : 'a multipart upload'}`, async () => {
      const data = pattern(size);
      const key = `us/${size}.bin`;
      const sink = createUploadStream(bucket, key, { partSize: 4 * KiB });
      await pipeline(Readable.from(chunked(data, [1000])), sink);
      expect(sink.result!.mode).to.equal(expectMode);
      expect(sink.result!.crc64).to.equal(crc64(data));
      expect((await readBack(key)).equals(data)).to.equal(true);
      expect(ops()).to.deep.equal(
        expectMode === 'put' ? { put: 1, init: 0, parts: 0, complete: 0 } : { put: 0, init: 1, parts: 2, complete: 1 },
      );
    });
  }

  it('a threshold above the part size holds several parts before deciding', async () => {
    const data = pattern(10 * KiB);
    const sink = createUploadStream(bucket, 'us/held.bin', { partSize: 4 * KiB, multipartThreshold: 12 * KiB });
    await pipeline(Readable.from(chunked(data, [1500])), sink);
    expect(sink.result!.mode).to.equal('put');
    const big = pattern(13 * KiB);
    const sink2 = createUploadStream(bucket, 'us/held2.bin', { partSize: 4 * KiB, multipartThreshold: 12 * KiB });
    await pipeline(Readable.from(chunked(big, [1500])), sink2);
    expect(sink2.result!.mode).to.equal('multipart');
    expect(sink2.result!.parts!.length).to.equal(4);
    expect((await readBack('us/held2.bin')).equals(big)).to.equal(true);
  });

  it('a known contentLength over the threshold goes multipart at once', async () => {
    const data = pattern(9 * KiB);
    const sink = createUploadStream(bucket, 'us/known.bin', { partSize: 4 * KiB, contentLength: data.length });
    await pipeline(Readable.from([data]), sink);
    expect(sink.result!.mode).to.equal('multipart');
    expect(sink.result!.parts!.map((p) => p.size)).to.deep.equal([4096, 4096, 1024]);
  });

  it('composes with stream-chain (byte mode) and zlib', async () => {
    const text = Buffer.from('line of a log file\n'.repeat(5000));
    const sink = createUploadStream(bucket, 'us/chain.log.gz', {
      partSize: 4 * KiB,
      headers: { 'Content-Encoding': 'gzip' },
    });
    await pipeline(
      Readable.from(chunked(text, [4096])),
      chain([zlib.createGzip()], { readableObjectMode: false, writableObjectMode: false }),
      sink,
    );
    expect(zlib.gunzipSync(await readBack('us/chain.log.gz')).equals(text)).to.equal(true);
  });

  it('takes async iterables and Web streams as sources', async () => {
    const data = pattern(11 * KiB);
    async function* gen() {
      for (const c of chunked(data, [700])) yield c;
    }
    const a = createUploadStream(bucket, 'us/iter.bin', { partSize: 4 * KiB });
    await pipeline(Readable.from(gen()), a);
    expect((await readBack('us/iter.bin')).equals(data)).to.equal(true);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        for (const x of chunked(data, [2500])) c.enqueue(x);
        c.close();
      },
    });
    const b = createUploadStream(bucket, 'us/web.bin', { partSize: 4 * KiB });
    await pipeline(Readable.fromWeb(web as import('node:stream/web').ReadableStream<Uint8Array>), b);
    expect((await readBack('us/web.bin')).equals(data)).to.equal(true);
  });

  it('passes the upload callback to Complete and to the single put, and a failed callback keeps the object', async () => {
    const bodies: string[] = [];
    const cb = http.createServer((req, res) => {
      let s = '';
      req.on('data', (d) => (s += d));
      req.on('end', () => {
        bodies.push(s);
        if (s.includes('fail')) {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end('{"Status":"OK"}');
      });
    });
    await new Promise<void>((r) => cb.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/cb`;
    const big = createUploadStream(bucket, 'us/cb-big.bin', {
      partSize: 4 * KiB,
      callback: { url, body: 'object=${object}&size=${size}' },
    });
    await pipeline(Readable.from([pattern(9 * KiB)]), big);
    expect(big.result!.mode).to.equal('multipart');
    expect(big.result!.callbackBody).to.equal('{"Status":"OK"}');
    const small = createUploadStream(bucket, 'us/cb-small.bin', {
      partSize: 4 * KiB,
      callback: { url, body: 'object=${object}&size=${size}' },
    });
    await pipeline(Readable.from([pattern(10)]), small);
    expect(small.result!.mode).to.equal('put');
    expect(small.result!.callbackBody).to.equal('{"Status":"OK"}');
    expect(bodies.map((b) => decodeURIComponent(b))).to.deep.equal([
      'object=us/cb-big.bin&size=9216',
      'object=us/cb-small.bin&size=10',
    ]);
    const failing = createUploadStream(bucket, 'us/cb-fail.bin', {
      partSize: 4 * KiB,
      callback: { url, body: 'fail=${object}' },
    });
    const err = await pipeline(Readable.from([pattern(9 * KiB)]), failing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssCallbackError);
    expect((err as OssCallbackError).status).to.equal(203);
    expect((await bucket.headObject('us/cb-fail.bin')).size).to.equal(9 * KiB);
    await new Promise((r) => cb.close(r));
  });
});
