// CopyObject and UploadPartCopy over the wire: status, headers, XML, the bytes of the copy, metadata and tagging
// directives, source conditions, and that a copy owns its bytes (rename = copy + delete).
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField } from '../../support/raw-http.js';

describe('server CopyObject and UploadPartCopy', () => {
  let server: OssServer;
  const data = pattern(300 * 1024 + 17);
  before(async () => {
    server = await startAnonymousServer({ buckets: ['bkt', 'other'] });
    await call(server, 'PUT', '/bkt/src.bin', {
      body: data,
      headers: {
        'content-type': 'application/x-src',
        'x-oss-meta-owner': 'alice',
        'x-oss-tagging': 'a=1&b=2',
        'cache-control': 'no-cache',
      },
    });
  });
  after(() => server.close());

  const copy = (dest: string, headers: Record<string, string> = {}) =>
    call(server, 'PUT', dest, { headers: { 'x-oss-copy-source': '/bkt/src.bin', ...headers } });

  it('copies bytes, ETag, CRC-64 and metadata (COPY directive), answering CopyObjectResult', async () => {
    const a = await copy('/other/dir/copy.bin');
    expect(a.status).to.equal(200);
    expect(a.headers['content-type']).to.equal('application/xml');
    expect(a.text).to.match(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<CopyObjectResult><ETag>&quot;[0-9A-F]{32}&quot;<\/ETag><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z<\/LastModified><\/CopyObjectResult>$/,
    );
    expect(xmlField(a.text, 'ETag')).to.equal(`&quot;${md5Etag(data).slice(1, -1)}&quot;`);
    expect([a.headers['x-oss-hash-crc64ecma'], a.headers['etag']]).to.deep.equal([oracleCrc(data), md5Etag(data)]);
    const got = await call(server, 'GET', '/other/dir/copy.bin');
    expect(got.body.equals(data)).to.equal(true);
    expect([
      got.headers['content-type'],
      got.headers['x-oss-meta-owner'],
      got.headers['cache-control'],
      got.headers['x-oss-tagging-count'],
    ]).to.deep.equal(['application/x-src', 'alice', 'no-cache', '2']);
    expect(got.headers['etag']).to.equal(md5Etag(data));
  });

  it("REPLACE takes the request's metadata; x-oss-tagging-directive Replace the request's tags", async () => {
    await copy('/bkt/replaced.bin', {
      'x-oss-metadata-directive': 'REPLACE',
      'content-type': 'text/plain',
      'x-oss-meta-owner': 'bob',
      'x-oss-tagging-directive': 'Replace',
      'x-oss-tagging': 'only=one',
    });
    const head = await call(server, 'HEAD', '/bkt/replaced.bin');
    expect([
      head.headers['content-type'],
      head.headers['x-oss-meta-owner'],
      head.headers['cache-control'],
      head.headers['x-oss-tagging-count'],
    ]).to.deep.equal(['text/plain', 'bob', undefined, '1']);
    const tags = await call(server, 'GET', '/bkt/replaced.bin?tagging');
    expect(tags.text).to.contain('<Tag><Key>only</Key><Value>one</Value></Tag>');
    // COPY keeps the source's metadata even when the request carries other headers
    await copy('/bkt/kept.bin', { 'x-oss-meta-owner': 'mallory', 'x-oss-tagging': 'x=y' });
    const kept = await call(server, 'HEAD', '/bkt/kept.bin');
    expect([kept.headers['x-oss-meta-owner'], kept.headers['x-oss-tagging-count']]).to.deep.equal(['alice', '2']);
  });

  it('rename: copy, delete the source; the copy keeps its bytes', async () => {
    const body = pattern(5000, 3);
    await call(server, 'PUT', '/bkt/old-name.txt', { body });
    expect(
      (await call(server, 'PUT', '/bkt/new-name.txt', { headers: { 'x-oss-copy-source': '/bkt/old-name.txt' } }))
        .status,
    ).to.equal(200);
    expect((await call(server, 'DELETE', '/bkt/old-name.txt')).status).to.equal(204);
    expect((await call(server, 'GET', '/bkt/new-name.txt')).body.equals(body)).to.equal(true);
    expect((await call(server, 'HEAD', '/bkt/old-name.txt')).status).to.equal(404);
  });

  it('a copy onto itself rewrites the metadata and keeps the bytes', async () => {
    const body = pattern(2048, 9);
    await call(server, 'PUT', '/bkt/self.bin', { body, headers: { 'content-type': 'application/x-a' } });
    const a = await call(server, 'PUT', '/bkt/self.bin', {
      headers: {
        'x-oss-copy-source': '/bkt/self.bin',
        'x-oss-metadata-directive': 'REPLACE',
        'content-type': 'application/x-b',
      },
    });
    expect(a.status).to.equal(200);
    const got = await call(server, 'GET', '/bkt/self.bin');
    expect([got.headers['content-type'], got.body.equals(body)]).to.deep.equal(['application/x-b', true]);
  });

  it('decodes URL-encoded source keys', async () => {
    const key = 'odd dir/a+b %ü.txt';
    await call(server, 'PUT', `/bkt/${encodeURIComponent(key)}`, { body: 'odd' });
    const a = await call(server, 'PUT', '/bkt/odd-copy.txt', {
      headers: { 'x-oss-copy-source': `/bkt/${encodeURIComponent(key)}` },
    });
    expect(a.status).to.equal(200);
    expect((await call(server, 'GET', '/bkt/odd-copy.txt')).text).to.equal('odd');
  });

  it('answers source errors as OSS: NoSuchKey, NoSuchBucket, InvalidArgument', async () => {
    const cases: Array<[string, number, string]> = [
      ['/bkt/missing.bin', 404, 'NoSuchKey'],
      ['/nobucket/src.bin', 404, 'NoSuchBucket'],
      ['/bkt', 400, 'InvalidArgument'],
      ['nothing', 400, 'InvalidArgument'],
    ];
    for (const [source, status, code] of cases) {
      const a = await call(server, 'PUT', '/bkt/dest.bin', { headers: { 'x-oss-copy-source': source } });
      expect([source, a.status, errorCode(a)]).to.deep.equal([source, status, code]);
    }
    const bad = await copy('/bkt/dest.bin', { 'x-oss-metadata-directive': 'MOVE' });
    expect([bad.status, errorCode(bad), xmlField(bad.text, 'ArgumentName')]).to.deep.equal([
      400,
      'InvalidArgument',
      'x-oss-metadata-directive',
    ]);
    expect((await call(server, 'HEAD', '/bkt/dest.bin')).status).to.equal(404);
  });

  it('x-oss-copy-source-if-*: 412 PreconditionFailed or 304, else the copy', async () => {
    const etag = md5Etag(data);
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const cases: Array<[Record<string, string>, number]> = [
      [{ 'x-oss-copy-source-if-match': etag }, 200],
      [{ 'x-oss-copy-source-if-match': '"0000"' }, 412],
      [{ 'x-oss-copy-source-if-none-match': etag }, 304],
      [{ 'x-oss-copy-source-if-none-match': '"0000"' }, 200],
      [{ 'x-oss-copy-source-if-unmodified-since': past }, 412],
      [{ 'x-oss-copy-source-if-unmodified-since': future }, 200],
      [{ 'x-oss-copy-source-if-modified-since': future }, 304],
      [{ 'x-oss-copy-source-if-modified-since': past }, 200],
    ];
    for (const [headers, status] of cases) {
      await call(server, 'DELETE', '/bkt/cond.bin');
      const a = await copy('/bkt/cond.bin', headers);
      expect([headers, a.status]).to.deep.equal([headers, status]);
      if (status === 412) expect(errorCode(a)).to.equal('PreconditionFailed');
      expect((await call(server, 'HEAD', '/bkt/cond.bin')).status, JSON.stringify(headers)).to.equal(
        status === 200 ? 200 : 404,
      );
    }
  });

  it('x-oss-forbid-overwrite: 409 FileAlreadyExists and the destination unchanged', async () => {
    await call(server, 'PUT', '/bkt/taken.txt', { body: 'mine' });
    const a = await copy('/bkt/taken.txt', { 'x-oss-forbid-overwrite': 'true' });
    expect([a.status, errorCode(a)]).to.deep.equal([409, 'FileAlreadyExists']);
    expect((await call(server, 'GET', '/bkt/taken.txt')).text).to.equal('mine');
  });

  it("UploadPartCopy copies a range into a part whose ETag is the range's MD5; Complete assembles the copy", async () => {
    const init = await call(server, 'POST', '/bkt/assembled.bin?uploads');
    const id = xmlField(init.text, 'UploadId')!;
    const cut = 200 * 1024;
    const p1 = await call(server, 'PUT', `/bkt/assembled.bin?partNumber=1&uploadId=${id}`, {
      headers: { 'x-oss-copy-source': '/bkt/src.bin', 'x-oss-copy-source-range': `bytes=0-${cut - 1}` },
    });
    expect(p1.status).to.equal(200);
    expect(p1.text).to.match(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<CopyPartResult><LastModified>[^<]+\.000Z<\/LastModified><ETag>&quot;[0-9A-F]{32}&quot;<\/ETag><\/CopyPartResult>$/,
    );
    expect(xmlField(p1.text, 'ETag')).to.equal(`&quot;${md5Etag(data.subarray(0, cut)).slice(1, -1)}&quot;`);
    expect(p1.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data.subarray(0, cut)));
    expect(p1.headers['etag']).to.equal(md5Etag(data.subarray(0, cut)));
    const p2 = await call(server, 'PUT', `/bkt/assembled.bin?partNumber=2&uploadId=${id}`, {
      headers: { 'x-oss-copy-source': '/bkt/src.bin', 'x-oss-copy-source-range': `bytes=${cut}-${data.length - 1}` },
    });
    const parts = [p1, p2]
      .map((p, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlField(p.text, 'ETag')}</ETag></Part>`)
      .join('');
    const done = await call(server, 'POST', `/bkt/assembled.bin?uploadId=${id}`, {
      body: `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`,
    });
    expect(done.status, done.text).to.equal(200);
    expect(done.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data));
    expect((await call(server, 'GET', '/bkt/assembled.bin')).body.equals(data)).to.equal(true);
  });

  it('UploadPartCopy without a range (or with an invalid one) copies the whole object; unknown upload is NoSuchUpload', async () => {
    const init = await call(server, 'POST', '/bkt/whole.bin?uploads');
    const id = xmlField(init.text, 'UploadId')!;
    for (const range of [undefined, 'bytes=9-3', `bytes=0-${data.length + 100}`]) {
      const a = await call(server, 'PUT', `/bkt/whole.bin?partNumber=1&uploadId=${id}`, {
        headers: {
          'x-oss-copy-source': '/bkt/src.bin',
          ...(range === undefined ? {} : { 'x-oss-copy-source-range': range }),
        },
      });
      expect([range, a.status, xmlField(a.text, 'ETag')]).to.deep.equal([
        range,
        200,
        `&quot;${md5Etag(data).slice(1, -1)}&quot;`,
      ]);
    }
    const ranged = await call(server, 'PUT', `/bkt/whole.bin?partNumber=2&uploadId=${id}`, {
      headers: { 'x-oss-copy-source': '/bkt/src.bin', 'x-oss-copy-source-range': 'bytes=10-19' },
    });
    expect(xmlField(ranged.text, 'ETag')).to.equal(`&quot;${md5Etag(data.subarray(10, 20)).slice(1, -1)}&quot;`);
    const gone = await call(server, 'PUT', '/bkt/whole.bin?partNumber=1&uploadId=0123456789ABCDEF0123456789ABCDEF', {
      headers: { 'x-oss-copy-source': '/bkt/src.bin' },
    });
    expect([gone.status, errorCode(gone)]).to.deep.equal([404, 'NoSuchUpload']);
  });
});
