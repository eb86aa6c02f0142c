import { expect } from 'chai';
import { request } from 'undici';
import { FaultInjector, type OssServer } from '../../lib/server/index.js';
import { oracleCrc, pattern } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, errorCode, xmlField } from '../support/raw-http.js';

describe('server fault injection', () => {
  let server: OssServer;
  beforeEach(async () => {
    server = await startAnonymousServer();
  });
  afterEach(() => server.close());

  it('reset: destroys the connection after N body bytes, stores nothing, counts what arrived', async () => {
    server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 1000 } });
    const data = pattern(2 * 1024 * 1024);
    const err = await call(server, 'PUT', '/bkt/r', { body: data }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    await eventually(() => server.stats.op('PutObject').errors === 1);
    const s = { ...server.stats.op('PutObject') };
    expect(s.requests).to.equal(1);
    expect(s.bytesIn).to.be.at.least(1000).and.below(data.length);
    expect((await call(server, 'HEAD', '/bkt/r')).status).to.equal(404);
    // used up: the next attempt goes through
    expect((await call(server, 'PUT', '/bkt/r', { body: data })).status).to.equal(200);
    expect(server.stats.op('PutObject')).to.deep.equal({
      requests: 2,
      bytesIn: s.bytesIn + data.length,
      bytesOut: 0,
      errors: 1,
    });
    expect(server.faults.pending).to.equal(0);
  });

  it('reset with afterBytes 0 on one part number only', async () => {
    const id = xmlField((await call(server, 'POST', '/bkt/m?uploads')).text, 'UploadId')!;
    server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'reset' } });
    expect((await call(server, 'PUT', `/bkt/m?partNumber=1&uploadId=${id}`, { body: 'one' })).status).to.equal(200);
    const err = await call(server, 'PUT', `/bkt/m?partNumber=2&uploadId=${id}`, { body: 'two' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    const parts = await call(server, 'GET', `/bkt/m?uploadId=${id}`);
    expect(parts.text.match(/<PartNumber>/g)).to.have.length(1);
    expect((await call(server, 'PUT', `/bkt/m?partNumber=2&uploadId=${id}`, { body: 'two' })).status).to.equal(200);
  });

  it('reset on GetObject: the client gets exactly N bytes, then the connection ends', async () => {
    const data = pattern(3 * 1024 * 1024);
    await call(server, 'PUT', '/bkt/g', { body: data });
    server.faults.add({ op: 'GetObject', action: { type: 'reset', afterBytes: 100_000 } });
    const res = await request(`${server.endpoint}/bkt/g`);
    expect(res.statusCode).to.equal(200);
    let got = 0;
    const err = await (async () => {
      for await (const c of res.body) got += (c as Buffer).length;
    })().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(got).to.equal(100_000);
    expect(server.stats.op('GetObject').bytesOut).to.equal(100_000);
  });

  it('error: 500 InternalError, then 503 with x-oss-qos-delay-time; nothing stored; body counted', async () => {
    server.faults.add({ op: 'PutObject', action: { type: 'error' } });
    server.faults.add({ op: 'PutObject', action: { type: 'error', status: 503, qosDelayTimeMs: 250 } });
    const a = await call(server, 'PUT', '/bkt/e', { body: 'abcdef' });
    expect([a.status, errorCode(a)]).to.deep.equal([500, 'InternalError']);
    const b = await call(server, 'PUT', '/bkt/e', { body: 'abcdef' });
    expect([b.status, errorCode(b), b.headers['x-oss-qos-delay-time']]).to.deep.equal([
      503,
      'ServiceUnavailable',
      '250',
    ]);
    expect((await call(server, 'HEAD', '/bkt/e')).status).to.equal(404);
    await eventually(() => server.stats.op('PutObject').bytesIn === 12);
    expect(server.stats.op('PutObject').errors).to.equal(2);
  });

  it('delay: processes the request and holds the answer back', async () => {
    server.faults.add({ op: 'PutObject', action: { type: 'delay', ms: 300 } });
    const t = Date.now();
    const a = await call(server, 'PUT', '/bkt/d', { body: 'x' });
    expect(a.status).to.equal(200);
    expect(Date.now() - t).to.be.at.least(290);
  });

  it('drop-after-commit: the object is stored but the answer is lost', async () => {
    server.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'drop-after-commit' } });
    const id = xmlField((await call(server, 'POST', '/bkt/lost?uploads')).text, 'UploadId')!;
    await call(server, 'PUT', `/bkt/lost?partNumber=1&uploadId=${id}`, { body: 'data' });
    const err = await call(server, 'POST', `/bkt/lost?uploadId=${id}`, {
      headers: { 'x-oss-complete-all': 'yes' },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect((await call(server, 'GET', '/bkt/lost')).text).to.equal('data');
    const retry = await call(server, 'POST', `/bkt/lost?uploadId=${id}`, { headers: { 'x-oss-complete-all': 'yes' } });
    expect(errorCode(retry)).to.equal('NoSuchUpload');
  });

  it('corrupt-crc64: the returned CRC is wrong, the stored one right', async () => {
    server.faults.add({ op: 'UploadPart', times: 2, action: { type: 'corrupt-crc64' } });
    server.faults.add({ op: 'PutObject', action: { type: 'corrupt-crc64' } });
    const put = await call(server, 'PUT', '/bkt/c', { body: 'abc' });
    expect(put.headers['x-oss-hash-crc64ecma']).to.not.equal(oracleCrc('abc'));
    expect(put.headers['x-oss-hash-crc64ecma']).to.match(/^\d+$/);
    expect((await call(server, 'HEAD', '/bkt/c')).headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc('abc'));
    const id = xmlField((await call(server, 'POST', '/bkt/c2?uploads')).text, 'UploadId')!;
    for (const n of [1, 2, 3]) {
      const p = await call(server, 'PUT', `/bkt/c2?partNumber=${n}&uploadId=${id}`, { body: 'abc' });
      expect([n, p.headers['x-oss-hash-crc64ecma'] === oracleCrc('abc')]).to.deep.equal([n, n === 3]);
    }
  });

  it('clear() removes pending rules; times: Infinity keeps matching', async () => {
    server.faults.add({ op: 'HeadObject', times: Infinity, action: { type: 'error' } });
    for (let i = 0; i < 3; i++) expect((await call(server, 'HEAD', '/bkt/x')).status).to.equal(500);
    server.faults.clear();
    expect((await call(server, 'HEAD', '/bkt/x')).status).to.equal(404);
  });

  it('validates rules', () => {
    const f = new FaultInjector();
    expect(() => f.add({ op: '', action: { type: 'error' } })).to.throw(TypeError);
    expect(() => f.add({ op: 'PutObject', times: 0, action: { type: 'error' } })).to.throw(TypeError);
    expect(() => f.add({ op: 'PutObject', action: { type: 'nope' } as never })).to.throw(TypeError);
    expect(() => f.add({ op: 'PutObject', action: { type: 'delay', ms: -1 } })).to.throw(TypeError);
    expect(() => f.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 1.5 } })).to.throw(TypeError);
    expect(f.pending).to.equal(0);
  });
});
