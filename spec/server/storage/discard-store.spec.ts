import { readdir } from 'node:fs/promises';
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, chunkedBody, errorCode, xmlField } from '../../support/raw-http.js';

describe('server discard storage', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ storage: 'discard', limits: { minPartSize: 1024 } });
  });
  after(() => server.close());

  it('counts and hashes bodies but stores no byte', async () => {
    const data = pattern(500_000);
    const put = await call(server, 'PUT', '/bkt/a', { body: chunkedBody(data) });
    expect([put.status, put.headers['etag'], put.headers['x-oss-hash-crc64ecma']]).to.deep.equal([
      200,
      md5Etag(data),
      oracleCrc(data),
    ]);
    expect(server.stats.op('PutObject').bytesIn).to.equal(500_000);
    const head = await call(server, 'HEAD', '/bkt/a');
    expect([head.status, head.headers['content-length'], head.headers['x-oss-hash-crc64ecma']]).to.deep.equal([
      200,
      '500000',
      oracleCrc(data),
    ]);
    const get = await call(server, 'GET', '/bkt/a');
    expect([get.status, errorCode(get)]).to.deep.equal([404, 'NoSuchKey']);
    expect(get.text).to.contain('discard storage');
    expect(await readdir(server.root)).to.deep.equal([]);
    expect(server.storage).to.equal('discard');
  });

  it('keeps append positions and multipart state', async () => {
    const a = pattern(100, 1);
    const b = pattern(50, 2);
    await call(server, 'POST', '/bkt/log?append&position=0', { body: a });
    const second = await call(server, 'POST', '/bkt/log?append&position=100', { body: b });
    expect([second.headers['x-oss-next-append-position'], second.headers['x-oss-hash-crc64ecma']]).to.deep.equal([
      '150',
      oracleCrc(Buffer.concat([a, b])),
    ]);
    const wrong = await call(server, 'POST', '/bkt/log?append&position=100', { body: b });
    expect(errorCode(wrong)).to.equal('PositionNotEqualToLength');

    const id = xmlField((await call(server, 'POST', '/bkt/mp?uploads')).text, 'UploadId')!;
    const p1 = pattern(1024, 3);
    const p2 = pattern(10, 4);
    await call(server, 'PUT', `/bkt/mp?partNumber=1&uploadId=${id}`, { body: p1 });
    await call(server, 'PUT', `/bkt/mp?partNumber=2&uploadId=${id}`, { body: p2 });
    const done = await call(server, 'POST', `/bkt/mp?uploadId=${id}`, { headers: { 'x-oss-complete-all': 'yes' } });
    expect([done.status, done.headers['x-oss-hash-crc64ecma']]).to.deep.equal([
      200,
      oracleCrc(Buffer.concat([p1, p2])),
    ]);
    expect((await call(server, 'HEAD', '/bkt/mp')).headers['content-length']).to.equal('1034');
  });

  it('serves empty objects (there is nothing to keep)', async () => {
    await call(server, 'PUT', '/bkt/empty', { body: '' });
    const get = await call(server, 'GET', '/bkt/empty');
    expect([get.status, get.body.length]).to.deep.equal([200, 0]);
  });
});
