import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5b64, md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, chunkedBody, errorCode, rawRequest } from '../../support/raw-http.js';

describe('server PutObject', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ limits: { maxPutSize: 1024 * 1024 } });
  });
  after(() => server.close());

  it('stores a Content-Length body and answers ETag, Content-MD5 and CRC-64', async () => {
    const data = pattern(300_000);
    const put = await call(server, 'PUT', '/bkt/dir/a.bin', { body: data });
    expect(put.status).to.equal(200);
    expect(put.headers['etag']).to.equal(md5Etag(data));
    expect(put.headers['content-md5']).to.equal(md5b64(data));
    expect(put.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data));
    expect(put.text).to.equal('');
    const get = await call(server, 'GET', '/bkt/dir/a.bin');
    expect(get.status).to.equal(200);
    expect(get.body.equals(data)).to.equal(true);
    expect(get.headers['x-oss-object-type']).to.equal('Normal');
    expect(get.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(data));
  });

  it('stores a chunked body', async () => {
    const a = pattern(70_000, 1);
    const b = pattern(5, 2);
    const put = await call(server, 'PUT', '/bkt/chunked', { body: chunkedBody(a, b) });
    expect(put.status).to.equal(200);
    const whole = Buffer.concat([a, b]);
    expect(put.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(whole));
    expect((await call(server, 'GET', '/bkt/chunked')).body.equals(whole)).to.equal(true);
  });

  it('stores an empty object', async () => {
    const put = await call(server, 'PUT', '/bkt/empty', { body: '' });
    expect(put.status).to.equal(200);
    expect(put.headers['etag']).to.equal('"D41D8CD98F00B204E9800998ECF8427E"');
    expect(put.headers['x-oss-hash-crc64ecma']).to.equal('0');
    const get = await call(server, 'GET', '/bkt/empty');
    expect([get.status, get.headers['content-length'], get.body.length]).to.deep.equal([200, '0', 0]);
  });

  it('stores and returns metadata, storage class and tags', async () => {
    const put = await call(server, 'PUT', '/bkt/meta.txt', {
      body: 'x',
      headers: {
        'content-type': 'text/x-custom',
        'cache-control': 'no-cache',
        'content-disposition': 'attachment; filename="m.txt"',
        'content-encoding': 'identity',
        expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
        'x-oss-meta-author': 'alice',
        'x-oss-meta-Mixed-Case': 'v',
        'x-oss-storage-class': 'IA',
        'x-oss-object-acl': 'private',
        'x-oss-tagging': 'k1=v1&k%202=v%202',
      },
    });
    expect(put.status).to.equal(200);
    const head = await call(server, 'HEAD', '/bkt/meta.txt');
    expect(head.headers['content-type']).to.equal('text/x-custom');
    expect(head.headers['cache-control']).to.equal('no-cache');
    expect(head.headers['content-disposition']).to.equal('attachment; filename="m.txt"');
    expect(head.headers['content-encoding']).to.equal('identity');
    expect(head.headers['expires']).to.equal('Wed, 21 Oct 2037 07:28:00 GMT');
    expect(head.headers['x-oss-meta-author']).to.equal('alice');
    expect(head.headers['x-oss-meta-mixed-case']).to.equal('v');
    expect(head.headers['x-oss-storage-class']).to.equal('IA');
    expect(head.headers['x-oss-tagging-count']).to.equal('2');
    const acl = await call(server, 'GET', '/bkt/meta.txt?acl');
    expect(acl.text).to.contain('<Grant>private</Grant>');
    const tags = await call(server, 'GET', '/bkt/meta.txt?tagging');
    expect(tags.text).to.contain(
      '<Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k 2</Key><Value>v 2</Value></Tag>',
    );
  });

  it('stores application/octet-stream when no Content-Type is sent, whatever the key (no guessing, as OSS)', async () => {
    for (const key of ['page.html', 'pic.jpg']) {
      await call(server, 'PUT', `/bkt/${key}`, { body: '<p>' });
      expect((await call(server, 'HEAD', `/bkt/${key}`)).headers['content-type']).to.equal('application/octet-stream');
    }
    await call(server, 'PUT', '/bkt/noext', { body: 'x' });
    expect((await call(server, 'HEAD', '/bkt/noext')).headers['content-type']).to.equal('application/octet-stream');
  });

  it('checks Content-MD5: a mismatch is 400 InvalidDigest and nothing is stored', async () => {
    const bad = await call(server, 'PUT', '/bkt/md5', { body: 'hello', headers: { 'content-md5': md5b64('other') } });
    expect([bad.status, errorCode(bad)]).to.deep.equal([400, 'InvalidDigest']);
    expect((await call(server, 'HEAD', '/bkt/md5')).status).to.equal(404);
    const malformed = await call(server, 'PUT', '/bkt/md5', { body: 'hello', headers: { 'content-md5': 'abc' } });
    expect([malformed.status, errorCode(malformed)]).to.deep.equal([400, 'InvalidDigest']);
    const good = await call(server, 'PUT', '/bkt/md5', { body: 'hello', headers: { 'content-md5': md5b64('hello') } });
    expect(good.status).to.equal(200);
  });

  it('answers 411 MissingContentLength without Content-Length or chunked encoding', async () => {
    const a = await rawRequest(server, ['PUT /bkt/nolength HTTP/1.1', 'Host: 127.0.0.1']);
    expect(a.status).to.equal(411);
    expect(a.raw).to.contain('<Code>MissingContentLength</Code>');
    expect((await call(server, 'HEAD', '/bkt/nolength')).status).to.equal(404);
  });

  it('answers 409 FileAlreadyExists with x-oss-forbid-overwrite: true', async () => {
    expect(
      (await call(server, 'PUT', '/bkt/once', { body: 'a', headers: { 'x-oss-forbid-overwrite': 'true' } })).status,
    ).to.equal(200);
    const again = await call(server, 'PUT', '/bkt/once', { body: 'b', headers: { 'x-oss-forbid-overwrite': 'true' } });
    expect([again.status, errorCode(again)]).to.deep.equal([409, 'FileAlreadyExists']);
    expect(again.headers['x-oss-ec']).to.equal('0026-00000002');
    expect((await call(server, 'GET', '/bkt/once')).text).to.equal('a');
    expect(
      (await call(server, 'PUT', '/bkt/once', { body: 'c', headers: { 'x-oss-forbid-overwrite': 'false' } })).status,
    ).to.equal(200);
  });

  it('answers 400 EntityTooLarge beyond maxPutSize, declared or chunked, and stores nothing', async () => {
    const declared = await call(server, 'PUT', '/bkt/big', { body: Buffer.alloc(1024 * 1024 + 1) });
    expect([declared.status, errorCode(declared)]).to.deep.equal([400, 'EntityTooLarge']);
    const streamed = await call(server, 'PUT', '/bkt/big', {
      body: chunkedBody(Buffer.alloc(600 * 1024), Buffer.alloc(600 * 1024), Buffer.alloc(4 * 1024 * 1024)),
    });
    // The server answers, then closes the connection instead of reading the rest of an oversized stream.
    expect([streamed.status, errorCode(streamed), streamed.headers['connection']]).to.deep.equal([
      400,
      'EntityTooLarge',
      'close',
    ]);
    expect((await call(server, 'HEAD', '/bkt/big')).status).to.equal(404);
    expect((await call(server, 'PUT', '/bkt/big', { body: Buffer.alloc(1024 * 1024) })).status).to.equal(200);
  });

  it('answers 400 InvalidObjectName for keys OSS refuses', async () => {
    const long = await call(server, 'PUT', `/bkt/${'k'.repeat(1024)}`, { body: 'x' });
    expect([long.status, errorCode(long)]).to.deep.equal([400, 'InvalidObjectName']);
    const backslash = await call(server, 'PUT', '/bkt/%5Cabs', { body: 'x' });
    expect([backslash.status, errorCode(backslash)]).to.deep.equal([400, 'InvalidObjectName']);
    const slash = await call(server, 'PUT', '/bkt//abs', { body: 'x' });
    expect([slash.status, errorCode(slash)]).to.deep.equal([400, 'InvalidObjectName']);
    expect((await call(server, 'PUT', `/bkt/${'k'.repeat(1023)}`, { body: 'x' })).status).to.equal(200);
  });

  it('answers 404 NoSuchBucket for an unknown bucket and 400 InvalidArgument for a bad ACL', async () => {
    const nb = await call(server, 'PUT', '/nobucket/k', { body: 'x' });
    expect([nb.status, errorCode(nb)]).to.deep.equal([404, 'NoSuchBucket']);
    const acl = await call(server, 'PUT', '/bkt/k', { body: 'x', headers: { 'x-oss-object-acl': 'everyone' } });
    expect([acl.status, errorCode(acl)]).to.deep.equal([400, 'InvalidArgument']);
    expect(acl.text).to.contain('<ArgumentName>x-oss-object-acl</ArgumentName>');
  });

  it('turns an appendable object into a Normal one', async () => {
    expect((await call(server, 'POST', '/bkt/app?append&position=0', { body: 'abc' })).status).to.equal(200);
    expect((await call(server, 'HEAD', '/bkt/app')).headers['x-oss-object-type']).to.equal('Appendable');
    expect((await call(server, 'PUT', '/bkt/app', { body: 'xyz1' })).status).to.equal(200);
    const head = await call(server, 'HEAD', '/bkt/app');
    expect(head.headers['x-oss-object-type']).to.equal('Normal');
    expect(head.headers['x-oss-next-append-position']).to.equal(undefined);
    expect(head.headers['content-length']).to.equal('4');
  });

  it('keeps one whole version when puts to one key race (last commit wins, never torn)', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(200_000 + i * 1000, 65 + i));
    const answers = await Promise.all(bodies.map((b) => call(server, 'PUT', '/bkt/race', { body: b })));
    expect(answers.map((a) => a.status)).to.deep.equal(bodies.map(() => 200));
    const got = (await call(server, 'GET', '/bkt/race')).body;
    expect(bodies.some((b) => b.equals(got))).to.equal(true);
    const head = await call(server, 'HEAD', '/bkt/race');
    expect(head.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(got));
  });
});
