import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode } from '../../support/raw-http.js';

describe('server GetObject, HeadObject, DeleteObject', () => {
  let server: OssServer;
  const data = pattern(1000);
  before(async () => {
    server = await startAnonymousServer();
    await call(server, 'PUT', '/bkt/obj', { body: data, headers: { 'content-type': 'application/x-test' } });
  });
  after(() => server.close());

  it('serves ranges with 206 and Content-Range, and the whole-object CRC', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-5', 995, 999],
      ['bytes=500-500', 500, 500],
    ];
    for (const [range, start, end] of cases) {
      const a = await call(server, 'GET', '/bkt/obj', { headers: { range } });
      expect([range, a.status, a.headers['content-range'], a.headers['content-length']]).to.deep.equal([
        range,
        206,
        `bytes ${start}-${end}/1000`,
        String(end - start + 1),
      ]);
      expect(a.body.equals(data.subarray(start, end + 1))).to.equal(true);
      expect(a.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data));
    }
  });

  it('answers invalid ranges with the whole object and 200, as OSS does', async () => {
    for (const range of ['bytes=1000-2000', 'bytes=500-2000', 'bytes=9-3', 'bytes=abc', 'items=0-1', 'bytes=0-1,5-6']) {
      const a = await call(server, 'GET', '/bkt/obj', { headers: { range } });
      expect([range, a.status, a.headers['content-range']]).to.deep.equal([range, 200, undefined]);
      expect(a.body.equals(data)).to.equal(true);
    }
  });

  it('follows x-oss-range-behavior: standard (clamp, or 416 InvalidRange)', async () => {
    const clamp = await call(server, 'GET', '/bkt/obj', {
      headers: { range: 'bytes=500-2000', 'x-oss-range-behavior': 'standard' },
    });
    expect([clamp.status, clamp.headers['content-range']]).to.deep.equal([206, 'bytes 500-999/1000']);
    const past = await call(server, 'GET', '/bkt/obj', {
      headers: { range: 'bytes=1000-2000', 'x-oss-range-behavior': 'standard' },
    });
    expect([past.status, errorCode(past)]).to.deep.equal([416, 'InvalidRange']);
  });

  it('answers HEAD with metadata and no body; HEAD errors carry base64 XML in x-oss-err', async () => {
    const head = await call(server, 'HEAD', '/bkt/obj');
    expect([head.status, head.headers['content-length'], head.body.length]).to.deep.equal([200, '1000', 0]);
    expect(head.headers['etag']).to.equal(md5Etag(data));
    expect(head.headers['content-type']).to.equal('application/x-test');
    expect(head.headers['last-modified']).to.match(/GMT$/);
    const missing = await call(server, 'HEAD', '/bkt/missing');
    expect([missing.status, missing.body.length]).to.deep.equal([404, 0]);
    const xml = Buffer.from(String(missing.headers['x-oss-err']), 'base64').toString('utf8');
    expect(xml).to.contain('<Code>NoSuchKey</Code>');
    expect(xml).to.contain(`<RequestId>${String(missing.headers['x-oss-request-id'])}</RequestId>`);
    expect(missing.headers['x-oss-ec']).to.equal('0026-00000001');
    const nb = await call(server, 'HEAD', '/nobkt/x');
    expect([nb.status, errorCode(nb)]).to.deep.equal([404, 'NoSuchBucket']);
  });

  it('answers GET of a missing key with NoSuchKey XML', async () => {
    const a = await call(server, 'GET', '/bkt/missing');
    expect([a.status, errorCode(a)]).to.deep.equal([404, 'NoSuchKey']);
    expect(a.headers['content-type']).to.equal('application/xml');
    expect(a.text).to.match(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>[^<]+<\/Message><RequestId>[0-9A-F]{24}<\/RequestId><HostId>bkt\.127\.0\.0\.1:\d+<\/HostId>/,
    );
  });

  it('honours response-* overrides and conditional headers', async () => {
    const o = await call(
      server,
      'GET',
      '/bkt/obj?response-content-type=text/csv&response-content-disposition=attachment',
    );
    expect([o.headers['content-type'], o.headers['content-disposition']]).to.deep.equal(['text/csv', 'attachment']);
    const etag = md5Etag(data);
    expect((await call(server, 'GET', '/bkt/obj', { headers: { 'if-none-match': etag } })).status).to.equal(304);
    const pf = await call(server, 'GET', '/bkt/obj', { headers: { 'if-match': '"0000"' } });
    expect([pf.status, errorCode(pf)]).to.deep.equal([412, 'PreconditionFailed']);
    expect((await call(server, 'GET', '/bkt/obj', { headers: { 'if-match': etag } })).status).to.equal(200);
    expect(
      (
        await call(server, 'GET', '/bkt/obj', {
          headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() },
        })
      ).status,
    ).to.equal(304);
  });

  it('answers GetObjectMeta (HEAD ?objectMeta)', async () => {
    const a = await call(server, 'HEAD', '/bkt/obj?objectMeta');
    expect([a.status, a.headers['x-oss-object-size'], a.headers['etag']]).to.deep.equal([200, '1000', md5Etag(data)]);
    // The size is in Content-Length too (oss2's GetObjectMetaResult.content_length reads it), and no body follows.
    expect([a.headers['content-length'], a.body.length]).to.deep.equal(['1000', 0]);
    const viaGet = await call(server, 'GET', '/bkt/obj?objectMeta');
    expect([viaGet.status, viaGet.headers['content-length'], viaGet.body.length]).to.deep.equal([200, '0', 0]);
  });

  it('gzips a whole-object GET of a web text type of 1 KB or more for Accept-Encoding: gzip, as OSS', async () => {
    const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(100));
    await call(server, 'PUT', '/bkt/page.txt', {
      body: text,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    const gz = await call(server, 'GET', '/bkt/page.txt', { headers: { 'accept-encoding': 'deflate, gzip;q=0.8' } });
    expect([
      gz.status,
      gz.headers['content-encoding'],
      gz.headers['vary'],
      gz.headers['transfer-encoding'],
    ]).to.deep.equal([200, 'gzip', 'Accept-Encoding', 'chunked']);
    expect([gz.headers['content-length'], gz.headers['etag'], gz.headers['accept-ranges']]).to.deep.equal([
      undefined,
      undefined,
      undefined,
    ]);
    expect(gz.body.length).to.be.below(text.length);
    expect(gunzipSync(gz.body).equals(text)).to.equal(true);
    expect(gz.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(text));
  });

  it('does not gzip other types, small objects, ranges, encoded objects or without gzip in Accept-Encoding', async () => {
    const text = Buffer.alloc(2048, 'a');
    await call(server, 'PUT', '/bkt/blob.bin', { body: text });
    await call(server, 'PUT', '/bkt/small.txt', {
      body: text.subarray(0, 1023),
      headers: { 'content-type': 'text/plain' },
    });
    await call(server, 'PUT', '/bkt/big.json', { body: text, headers: { 'content-type': 'application/json' } });
    await call(server, 'PUT', '/bkt/pre.json', {
      body: text,
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    const cases: Array<[string, Record<string, string>]> = [
      ['/bkt/blob.bin', { 'accept-encoding': 'gzip' }],
      ['/bkt/small.txt', { 'accept-encoding': 'gzip' }],
      ['/bkt/big.json', { 'accept-encoding': 'gzip', range: 'bytes=0-99' }],
      ['/bkt/big.json', { 'accept-encoding': 'gzip;q=0, deflate' }],
      ['/bkt/big.json', {}],
      ['/bkt/pre.json', { 'accept-encoding': 'gzip' }],
    ];
    for (const [path, headers] of cases) {
      const a = await call(server, 'GET', path, { headers });
      const label = `${path} ${JSON.stringify(headers)}`;
      expect([label, a.headers['content-encoding'] === 'gzip', a.headers['content-length']]).to.deep.equal([
        label,
        false,
        String(a.body.length),
      ]);
    }
    expect(
      (await call(server, 'GET', '/bkt/big.json', { headers: { 'accept-encoding': 'gzip' } })).headers[
        'content-encoding'
      ],
    ).to.equal('gzip');
  });

  it('deletes with 204, also a missing key', async () => {
    await call(server, 'PUT', '/bkt/del', { body: 'x' });
    expect((await call(server, 'DELETE', '/bkt/del')).status).to.equal(204);
    expect((await call(server, 'GET', '/bkt/del')).status).to.equal(404);
    expect((await call(server, 'DELETE', '/bkt/del')).status).to.equal(204);
  });

  it('finishes a download started before the object was overwritten or deleted', async () => {
    // Multipart, so later parts' files are opened only after the overwrite and the delete.
    const parts = [pattern(3 * 1024 * 1024, 5), pattern(3 * 1024 * 1024, 6), pattern(3 * 1024 * 1024, 7)];
    const big = Buffer.concat(parts);
    const id = /<UploadId>([^<]+)</.exec((await call(server, 'POST', '/bkt/moving?uploads')).text)![1]!;
    for (let i = 0; i < parts.length; i++)
      await call(server, 'PUT', `/bkt/moving?partNumber=${i + 1}&uploadId=${id}`, { body: parts[i]! });
    expect(
      (await call(server, 'POST', `/bkt/moving?uploadId=${id}`, { headers: { 'x-oss-complete-all': 'yes' } })).status,
    ).to.equal(200);
    const { request } = await import('undici');
    const res = await request(`${server.endpoint}/bkt/moving`);
    const first = await res.body[Symbol.asyncIterator]().next();
    await call(server, 'PUT', '/bkt/moving', { body: 'new' });
    await call(server, 'DELETE', '/bkt/moving');
    const chunks: Buffer[] = [Buffer.from(first.value as Uint8Array)];
    for await (const c of res.body) chunks.push(Buffer.from(c as Uint8Array));
    expect(Buffer.concat(chunks).equals(big)).to.equal(true);
  });
});
