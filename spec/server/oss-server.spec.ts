import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { expect } from 'chai';
import { request } from 'undici';
import { OssServer } from '../../lib/server/index.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../support/raw-http.js';

describe('OssServer', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ region: 'oss-cn-shanghai' });
  });
  after(() => server.close());

  it('listens on 127.0.0.1 with a free port and reports endpoint and region', () => {
    expect(server.endpoint).to.equal(`http://127.0.0.1:${server.port}`);
    expect(server.port).to.be.greaterThan(0);
    expect(server.region).to.equal('cn-shanghai');
    expect(server.storage).to.equal('disk');
  });

  it('sends the common headers on every answer, errors included', async () => {
    for (const [m, p] of [
      ['PUT', '/bkt/h'],
      ['GET', '/bkt/h'],
      ['GET', '/bkt/none'],
      ['HEAD', '/bkt/none'],
      ['DELETE', '/bkt/h'],
    ] as const) {
      const a = await call(server, m, p, m === 'PUT' ? { body: 'x' } : {});
      expect(a.headers['x-oss-request-id'], `${m} ${p}`).to.match(/^[0-9A-F]{24}$/);
      expect(a.headers['server']).to.equal('AliyunOSS');
      expect(Date.parse(String(a.headers['date']))).to.be.closeTo(Date.now(), 5000);
      expect(a.headers['x-oss-server-time']).to.match(/^\d+$/);
    }
  });

  it('addresses buckets path-style and virtual-host style', async () => {
    await call(server, 'PUT', '/bkt/dir/file.txt', { body: 'path' });
    const vhost = await request(`${server.endpoint}/dir/file.txt`, {
      headers: { host: `bkt.oss-cn-shanghai.aliyuncs.com` },
    });
    expect([vhost.statusCode, await vhost.body.text()]).to.deep.equal([200, 'path']);
    const put = await request(`${server.endpoint}/v.txt`, {
      method: 'PUT',
      body: 'vh',
      headers: { host: `bkt.localhost:${server.port}` },
    });
    expect(put.statusCode).to.equal(200);
    await put.body.text();
    expect((await call(server, 'GET', '/bkt/v.txt')).text).to.equal('vh');
    // an IP Host never selects virtual-host; a non-bucket first label with a bucket path stays path-style
    const ipHost = await request(`${server.endpoint}/bkt/v.txt`, { headers: { host: `127.0.0.1:${server.port}` } });
    expect(await ipHost.body.text()).to.equal('vh');
    const region = await request(`${server.endpoint}/bkt/v.txt`, { headers: { host: 'oss-cn-shanghai.aliyuncs.com' } });
    expect(await region.body.text()).to.equal('vh');
  });

  it('decodes keys from the path: %2B, spaces, unicode, slashes', async () => {
    const key = 'a b+c/ü/%x';
    const enc = key.split('/').map(encodeURIComponent).join('/');
    expect((await call(server, 'PUT', `/bkt/${enc}`, { body: 'k' })).status).to.equal(200);
    const list = await call(server, 'GET', '/bkt/?prefix=a%20b');
    expect(xmlFields(list.text, 'Key')).to.deep.equal([key]);
    expect((await call(server, 'GET', `/bkt/${encodeURIComponent(key)}`)).text).to.equal('k');
  });

  it('creates, lists and deletes buckets', async () => {
    expect((await call(server, 'PUT', '/newbkt')).status).to.equal(200);
    expect((await call(server, 'PUT', '/newbkt')).status).to.equal(200);
    const list = await call(server, 'GET', '/');
    expect(xmlFields(list.text, 'Name')).to.include.members(['bkt', 'newbkt']);
    expect(list.text).to.contain('<Region>cn-shanghai</Region>');
    const bad = await call(server, 'PUT', '/Bad_Name');
    expect([bad.status, errorCode(bad)]).to.deep.equal([400, 'InvalidBucketName']);
    await call(server, 'PUT', '/newbkt/x', { body: 'x' });
    const notEmpty = await call(server, 'DELETE', '/newbkt');
    expect([notEmpty.status, errorCode(notEmpty)]).to.deep.equal([409, 'BucketNotEmpty']);
    await call(server, 'DELETE', '/newbkt/x');
    expect((await call(server, 'DELETE', '/newbkt')).status).to.equal(204);
    const gone = await call(server, 'GET', '/newbkt/');
    expect([gone.status, errorCode(gone)]).to.deep.equal([404, 'NoSuchBucket']);
    expect(existsSync(`${server.root}/buckets/newbkt`)).to.equal(false);
  });

  it('lists objects with prefix, delimiter, marker and max-keys', async () => {
    await call(server, 'PUT', '/listing');
    for (const k of ['a/1', 'a/2', 'b', 'c/d/e', 'c/f', 'd']) await call(server, 'PUT', `/listing/${k}`, { body: k });
    const all = await call(server, 'GET', '/listing');
    expect(xmlFields(all.text, 'Key')).to.deep.equal(['a/1', 'a/2', 'b', 'c/d/e', 'c/f', 'd']);
    expect(xmlField(all.text, 'MaxKeys')).to.equal('100');
    expect(xmlFields(all.text, 'Size')).to.deep.equal(['3', '3', '1', '5', '3', '1']);
    expect(xmlFields(all.text, 'Type')).to.deep.equal(['Normal', 'Normal', 'Normal', 'Normal', 'Normal', 'Normal']);
    const p1 = await call(server, 'GET', '/listing/?delimiter=/&max-keys=2');
    expect([xmlFields(p1.text, 'Key'), xmlFields(p1.text, 'Prefix').slice(1)]).to.deep.equal([['b'], ['a/']]);
    expect([xmlField(p1.text, 'IsTruncated'), xmlField(p1.text, 'NextMarker')]).to.deep.equal(['true', 'b']);
    const p2 = await call(server, 'GET', '/listing/?delimiter=/&max-keys=2&marker=b');
    expect([xmlFields(p2.text, 'Key'), xmlFields(p2.text, 'Prefix').slice(1)]).to.deep.equal([['d'], ['c/']]);
    expect(xmlField(p2.text, 'IsTruncated')).to.equal('false');
    const afterPrefix = await call(server, 'GET', '/listing/?delimiter=/&marker=a/');
    expect(xmlFields(afterPrefix.text, 'Key')).to.deep.equal(['b', 'd']);
    const sub = await call(server, 'GET', '/listing/?prefix=c/&delimiter=/');
    expect([xmlFields(sub.text, 'Key'), xmlFields(sub.text, 'Prefix')]).to.deep.equal([['c/f'], ['c/', 'c/d/']]);
    const enc = await call(server, 'GET', '/listing/?prefix=a/&encoding-type=url');
    expect(xmlFields(enc.text, 'Key')).to.deep.equal(['a%2F1', 'a%2F2']);
    const tooMany = await call(server, 'GET', '/listing/?max-keys=1001');
    expect([tooMany.status, errorCode(tooMany)]).to.deep.equal([400, 'InvalidArgument']);
  });

  it('answers 501 NotImplemented for operations it does not implement', async () => {
    // (CopyObject, once the example here, is implemented now; spec/server/ops/index.spec.ts has the full table)
    const a = await call(server, 'PUT', '/bkt/x?live', { body: '' });
    expect([a.status, errorCode(a)]).to.deep.equal([501, 'NotImplemented']);
  });

  it('keeps objects across a restart on the same root and removes its own temp root on close', async () => {
    const s1 = await OssServer.start({ anonymous: true, buckets: ['keep'] });
    const root = s1.root;
    const s2root = `${root}-named`;
    const named = await OssServer.start({ anonymous: true, buckets: ['keep'], root: s2root });
    await call(named, 'PUT', '/keep/a', { body: 'persisted' });
    await call(named, 'POST', '/keep/b?append&position=0', { body: 'ap' });
    await named.close();
    const again = await OssServer.start({ anonymous: true, root: s2root });
    expect((await call(again, 'GET', '/keep/a')).text).to.equal('persisted');
    expect((await call(again, 'POST', '/keep/b?append&position=2', { body: 'pend' })).status).to.equal(200);
    expect((await call(again, 'GET', '/keep/b')).text).to.equal('append');
    await again.close();
    expect(existsSync(s2root)).to.equal(true);
    await rm(s2root, { recursive: true, force: true });
    await s1.close();
    expect(existsSync(root)).to.equal(false);
  });
});
