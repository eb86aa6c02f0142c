import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { createUploadStream } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { ANON_BUCKET, clientFor, startAnonymousServer, startServer } from '../support/local-oss.js';
import { call } from '../support/raw-http.js';
import { md5Etag, md5b64, oracleCrc, pattern } from '../support/bytes.js';

describe('server benchmark mode skipMd5', function () {
  this.timeout(30_000);
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ storage: 'discard', skipMd5: true });
  });
  after(() => server.close());

  it('PutObject: still returns the CRC-64 of the bytes, but no Content-MD5 and an ETag that is not their MD5', async () => {
    const data = pattern(100_003);
    const r = await call(server, 'PUT', `/${ANON_BUCKET}/a`, { body: data });
    expect(r.status).to.equal(200);
    expect(r.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data));
    expect(r.headers['content-md5']).to.equal(undefined);
    expect(r.headers['etag']).to.match(/^"[0-9A-F]{32}"$/);
    expect(r.headers['etag']).to.not.equal(md5Etag(data));
  });

  it('still checks a Content-MD5 the request sends', async () => {
    const data = pattern(4096);
    const bad = await call(server, 'PUT', `/${ANON_BUCKET}/b`, {
      body: data,
      headers: { 'content-md5': md5b64('other') },
    });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('<Code>InvalidDigest</Code>');
    const good = await call(server, 'PUT', `/${ANON_BUCKET}/b`, {
      body: data,
      headers: { 'content-md5': md5b64(data) },
    });
    expect(good.status).to.equal(200);
    expect(good.headers['etag']).to.equal(md5Etag(data));
  });

  it('a multipart upload of our client completes with its CRC-64 verified part by part and whole', async () => {
    const signed = await startServer({ storage: 'discard', skipMd5: true });
    const bucket = clientFor(signed);
    try {
      const data = pattern(300_000, 7);
      const sink = createUploadStream(bucket, 'mp', { partSize: 100 * 1024, concurrency: 2 });
      await pipeline(Readable.from([data]), sink);
      expect(sink.result?.size).to.equal(data.length);
      expect(sink.result?.crc64).to.equal(oracleCrc(data));
      expect(sink.result?.etag).to.match(/^"[0-9A-F]{32}-3"$/);
    } finally {
      await bucket.close();
      await signed.close();
    }
  });

  it('is off by default: ETags are the MD5 of the bytes', async () => {
    const plain = await startAnonymousServer({ storage: 'discard' });
    try {
      const data = pattern(2048);
      const r = await call(plain, 'PUT', `/${ANON_BUCKET}/c`, { body: data });
      expect(r.headers['etag']).to.equal(md5Etag(data));
      expect(r.headers['content-md5']).to.equal(md5b64(data));
    } finally {
      await plain.close();
    }
  });
});
