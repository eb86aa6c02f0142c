import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { OssServer } from '../../../lib/server/index.js';
import { call, errorCode } from '../../support/raw-http.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

// Every file the disk store may create, relative to the root.
const LAYOUT =
  /^(blobs\/[0-9a-f]{32}|buckets\/[a-z0-9-]+\/bucket\.json|buckets\/[a-z0-9-]+\/meta\/[0-9a-f]{2}\/[0-9a-f]{64}\.json)$/;

describe('server disk storage', () => {
  let parent: string;
  let server: OssServer;
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'oss-disk-spec-'));
    server = await OssServer.start({ anonymous: true, buckets: ['bkt'], root: join(parent, 'root') });
  });
  after(async () => {
    await server.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('keeps hostile keys inside the root and returns their bytes', async () => {
    const keys = [
      '../../escape.txt',
      '..\\..\\escape.txt',
      'a/../../../b',
      '%2e%2e%2fescape',
      '..%2F..%2Fescape',
      'nul\u0000byte',
      'dir/./.././x',
      '~/x',
      'C:\\Windows\\x',
      `${'../'.repeat(341)}`,
      `${'é'.repeat(511)}x`,
    ];
    for (const [i, key] of keys.entries()) {
      const path = `/bkt/${encodeURIComponent(key)}`;
      const put = await call(server, 'PUT', path, { body: `v${i}` });
      expect([key.slice(0, 20), put.status]).to.deep.equal([key.slice(0, 20), 200]);
      const get = await call(server, 'GET', path);
      expect(get.text).to.equal(`v${i}`);
    }
    const list = await call(server, 'GET', '/bkt/?max-keys=1000');
    expect((list.text.match(/<Key>/g) ?? []).length).to.equal(keys.length);
    expect(await readdir(parent)).to.deep.equal(['root']);
    const files = (await walk(join(parent, 'root'))).map((f) => relative(join(parent, 'root'), f));
    for (const f of files) expect(f).to.match(LAYOUT);
  });

  it('refuses absolute-looking keys with InvalidObjectName and writes nothing for them', async () => {
    const before = (await walk(join(parent, 'root'))).length;
    for (const key of ['/etc/passwd', '\\server\\share']) {
      const a = await call(server, 'PUT', `/bkt/${encodeURIComponent(key)}`, { body: 'x' });
      expect([a.status, errorCode(a)]).to.deep.equal([400, 'InvalidObjectName']);
    }
    expect((await walk(join(parent, 'root'))).length).to.equal(before);
  });

  it('leaves no staged file behind after failed uploads', async () => {
    await call(server, 'PUT', '/bkt/k', { body: 'hello', headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } });
    await call(server, 'PUT', '/bkt/k2', { body: 'abc' });
    await call(server, 'PUT', '/bkt/k2', { body: 'abcd' });
    expect(await readdir(join(parent, 'root', 'tmp'))).to.deep.equal([]);
    const blobs = await readdir(join(parent, 'root', 'blobs'));
    const list = await call(server, 'GET', '/bkt/?max-keys=1000');
    const nonEmpty = [...list.text.matchAll(/<Size>(\d+)<\/Size>/g)].filter((m) => m[1] !== '0').length;
    // one blob per non-empty object: overwritten versions are deleted
    expect(blobs.length).to.equal(nonEmpty);
  });

  it('ignores foreign files and removes orphaned blobs when it starts on an existing root', async () => {
    const root = join(parent, 'second');
    const s1 = await OssServer.start({ anonymous: true, buckets: ['bk2'], root });
    await call(s1, 'PUT', '/bk2/kept', { body: 'kept' });
    await s1.close();
    await writeFile(join(root, 'blobs', '0123456789abcdef0123456789abcdef'), 'orphan');
    await writeFile(join(root, 'buckets', 'bk2', 'meta', 'stray.json'), '{}').catch(() => undefined);
    const s2 = await OssServer.start({ anonymous: true, root });
    try {
      expect((await call(s2, 'GET', '/bk2/kept')).text).to.equal('kept');
      expect(await readdir(join(root, 'blobs'))).to.have.length(1);
      expect((await call(s2, 'GET', '/bk2/')).text.match(/<Key>/g)).to.have.length(1);
    } finally {
      await s2.close();
    }
  });
});
