// PutSymlink / GetSymlink over the wire, and GET/HEAD of a link following it as OSS does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField } from '../../support/raw-http.js';

describe('server PutSymlink and GetSymlink', () => {
  let server: OssServer;
  const data = pattern(4000);
  before(async () => {
    server = await startAnonymousServer();
    await call(server, 'PUT', '/bkt/dir/target%20%C3%BC.bin', {
      body: data,
      headers: { 'content-type': 'application/x-target', 'x-oss-meta-side': 'target' },
    });
  });
  after(() => server.close());

  it("makes a link; GetSymlink answers the URL-encoded target and the link's metadata", async () => {
    const put = await call(server, 'PUT', '/bkt/link?symlink', {
      headers: { 'x-oss-symlink-target': encodeURIComponent('dir/target ü.bin'), 'x-oss-meta-side': 'link' },
    });
    expect(put.status).to.equal(200);
    expect(put.headers['etag']).to.match(/^"[0-9A-F]{32}"$/);
    const get = await call(server, 'GET', '/bkt/link?symlink');
    expect([
      get.status,
      get.headers['x-oss-symlink-target'],
      get.headers['x-oss-meta-side'],
      get.body.length,
    ]).to.deep.equal([200, encodeURIComponent('dir/target ü.bin'), 'link', 0]);
    expect(get.headers['etag']).to.equal(put.headers['etag']);
  });

  it("GET and HEAD of the link answer the target's bytes with type Symlink and the link's metadata", async () => {
    const get = await call(server, 'GET', '/bkt/link');
    expect(get.status).to.equal(200);
    expect(get.body.equals(data)).to.equal(true);
    expect([
      get.headers['x-oss-object-type'],
      get.headers['x-oss-meta-side'],
      get.headers['content-type'],
      get.headers['etag'],
      get.headers['x-oss-hash-crc64ecma'],
    ]).to.deep.equal(['Symlink', 'link', 'application/x-target', md5Etag(data), oracleCrc(data)]);
    const head = await call(server, 'HEAD', '/bkt/link');
    expect([head.status, head.headers['content-length'], head.headers['x-oss-object-type']]).to.deep.equal([
      200,
      '4000',
      'Symlink',
    ]);
    const range = await call(server, 'GET', '/bkt/link', { headers: { range: 'bytes=10-19' } });
    expect([range.status, range.body.equals(data.subarray(10, 20))]).to.deep.equal([206, true]);
    // the listing shows the link itself
    const listed = await call(server, 'GET', '/bkt/?prefix=link');
    expect([xmlField(listed.text, 'Type'), xmlField(listed.text, 'Size')]).to.deep.equal(['Symlink', '0']);
  });

  it('a link to a missing target: 404 SymlinkTargetNotExist on GET, the link itself still readable', async () => {
    await call(server, 'PUT', '/bkt/dangling?symlink', { headers: { 'x-oss-symlink-target': 'nowhere' } });
    const get = await call(server, 'GET', '/bkt/dangling');
    expect([get.status, errorCode(get), get.headers['x-oss-ec']]).to.deep.equal([
      404,
      'SymlinkTargetNotExist',
      '0026-00000012',
    ]);
    const head = await call(server, 'HEAD', '/bkt/dangling');
    expect([head.status, errorCode(head)]).to.deep.equal([404, 'SymlinkTargetNotExist']);
    expect((await call(server, 'GET', '/bkt/dangling?symlink')).headers['x-oss-symlink-target']).to.equal('nowhere');
    // uploading the target makes the link work
    await call(server, 'PUT', '/bkt/nowhere', { body: 'now here' });
    expect((await call(server, 'GET', '/bkt/dangling')).text).to.equal('now here');
  });

  it('deleting the link leaves the target; GetSymlink of a plain object is 400 NotSymlink, of nothing 404', async () => {
    await call(server, 'PUT', '/bkt/to-delete?symlink', { headers: { 'x-oss-symlink-target': 'nowhere' } });
    expect((await call(server, 'DELETE', '/bkt/to-delete')).status).to.equal(204);
    expect((await call(server, 'GET', '/bkt/nowhere')).text).to.equal('now here');
    const plain = await call(server, 'GET', '/bkt/nowhere?symlink');
    expect([plain.status, errorCode(plain), plain.headers['x-oss-ec']]).to.deep.equal([
      400,
      'NotSymlink',
      '0043-00000101',
    ]);
    await call(server, 'PUT', '/bkt/link-to-link?symlink', { headers: { 'x-oss-symlink-target': 'link' } });
    const chained = await call(server, 'GET', '/bkt/link-to-link');
    expect([chained.status, errorCode(chained)]).to.deep.equal([400, 'InvalidTargetType']);
    const none = await call(server, 'GET', '/bkt/to-delete?symlink');
    expect([none.status, errorCode(none)]).to.deep.equal([404, 'NoSuchKey']);
  });

  it("CopyObject of a link copies the link, not the target's bytes (as OSS)", async () => {
    const a = await call(server, 'PUT', '/bkt/link-copy', { headers: { 'x-oss-copy-source': '/bkt/link' } });
    expect(a.status).to.equal(200);
    const link = await call(server, 'GET', '/bkt/link-copy?symlink');
    expect([link.status, link.headers['x-oss-symlink-target']]).to.deep.equal([
      200,
      encodeURIComponent('dir/target ü.bin'),
    ]);
    expect((await call(server, 'GET', '/bkt/link-copy')).body.equals(data)).to.equal(true);
  });

  it('a link survives a restart on the same root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oss-symlink-'));
    try {
      const first = await startAnonymousServer({ root });
      await call(first, 'PUT', '/bkt/t.txt', { body: 'target bytes' });
      await call(first, 'PUT', '/bkt/l?symlink', { headers: { 'x-oss-symlink-target': 't.txt' } });
      await first.close();
      const second = await startAnonymousServer({ root });
      try {
        expect((await call(second, 'GET', '/bkt/l?symlink')).headers['x-oss-symlink-target']).to.equal('t.txt');
        expect((await call(second, 'GET', '/bkt/l')).text).to.equal('target bytes');
      } finally {
        await second.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a missing or invalid target and honours x-oss-forbid-overwrite', async () => {
    const none = await call(server, 'PUT', '/bkt/bad?symlink');
    expect([none.status, errorCode(none)]).to.deep.equal([400, 'InvalidArgument']);
    const slash = await call(server, 'PUT', '/bkt/bad?symlink', { headers: { 'x-oss-symlink-target': '%2Fabs' } });
    expect([slash.status, errorCode(slash)]).to.deep.equal([400, 'InvalidObjectName']);
    const taken = await call(server, 'PUT', '/bkt/nowhere?symlink', {
      headers: { 'x-oss-symlink-target': 'x', 'x-oss-forbid-overwrite': 'true' },
    });
    expect([taken.status, errorCode(taken)]).to.deep.equal([409, 'FileAlreadyExists']);
    expect((await call(server, 'HEAD', '/bkt/bad')).status).to.equal(404);
  });
});
