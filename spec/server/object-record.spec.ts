import { expect } from 'chai';
import type { OssServer } from '../../lib/server/index.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, errorCode, xmlField } from '../support/raw-http.js';

const SSE = [
  'x-oss-server-side-encryption',
  'x-oss-server-side-data-encryption',
  'x-oss-server-side-encryption-key-id',
] as const;

function sseOf(headers: Record<string, unknown>): Array<unknown> {
  return SSE.map((h) => headers[h]);
}

describe('server object metadata OSS echoes', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer();
  });
  after(() => server.close());

  describe('server-side encryption', () => {
    it('PutObject stores AES256 and echoes it on the answer, HEAD and GET', async () => {
      const put = await call(server, 'PUT', '/bkt/aes.txt', {
        body: 'x',
        headers: { 'x-oss-server-side-encryption': 'AES256' },
      });
      expect(sseOf(put.headers)).to.deep.equal(['AES256', undefined, undefined]);
      for (const method of ['HEAD', 'GET']) {
        expect(sseOf((await call(server, method, '/bkt/aes.txt')).headers), method).to.deep.equal([
          'AES256',
          undefined,
          undefined,
        ]);
      }
      const plain = await call(server, 'PUT', '/bkt/plain.txt', { body: 'x' });
      expect(sseOf(plain.headers)).to.deep.equal([undefined, undefined, undefined]);
      expect(sseOf((await call(server, 'HEAD', '/bkt/plain.txt')).headers)).to.deep.equal([
        undefined,
        undefined,
        undefined,
      ]);
    });

    it('KMS with a key id and SM4 data encryption', async () => {
      const headers = {
        'x-oss-server-side-encryption': 'KMS',
        'x-oss-server-side-data-encryption': 'SM4',
        'x-oss-server-side-encryption-key-id': 'key-1',
      };
      const put = await call(server, 'PUT', '/bkt/kms.txt', { body: 'x', headers });
      expect(sseOf(put.headers)).to.deep.equal(['KMS', 'SM4', 'key-1']);
      expect(sseOf((await call(server, 'HEAD', '/bkt/kms.txt')).headers)).to.deep.equal(['KMS', 'SM4', 'key-1']);
    });

    it('InitiateMultipartUpload takes it for the completed object; Initiate and Complete echo it', async () => {
      const headers = { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'key-2' };
      const init = await call(server, 'POST', '/bkt/mp.bin?uploads', { headers });
      expect(sseOf(init.headers)).to.deep.equal(['KMS', undefined, 'key-2']);
      const uploadId = xmlField(init.text, 'UploadId')!;
      const part = await call(server, 'PUT', `/bkt/mp.bin?partNumber=1&uploadId=${uploadId}`, { body: 'part' });
      const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers['etag'])}</ETag></Part></CompleteMultipartUpload>`;
      const done = await call(server, 'POST', `/bkt/mp.bin?uploadId=${uploadId}`, { body: xml });
      expect([done.status, ...sseOf(done.headers)]).to.deep.equal([200, 'KMS', undefined, 'key-2']);
      expect(sseOf((await call(server, 'GET', '/bkt/mp.bin')).headers)).to.deep.equal(['KMS', undefined, 'key-2']);
    });

    it('AppendObject takes it on the first append and echoes it on every later append', async () => {
      const first = await call(server, 'POST', '/bkt/app.log?append&position=0', {
        body: 'a',
        headers: { 'x-oss-server-side-encryption': 'SM4' },
      });
      expect(sseOf(first.headers)).to.deep.equal(['SM4', undefined, undefined]);
      const later = await call(server, 'POST', '/bkt/app.log?append&position=1', { body: 'b' });
      expect(sseOf(later.headers)).to.deep.equal(['SM4', undefined, undefined]);
      expect(sseOf((await call(server, 'HEAD', '/bkt/app.log')).headers)).to.deep.equal(['SM4', undefined, undefined]);
    });

    it('answers 400 InvalidArgument for values OSS refuses, storing nothing', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ 'x-oss-server-side-encryption': 'DES' }, 'x-oss-server-side-encryption'],
        [{ 'x-oss-server-side-encryption': 'aes256' }, 'x-oss-server-side-encryption'],
        [
          { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': 'k' },
          'x-oss-server-side-encryption-key-id',
        ],
        [{ 'x-oss-server-side-encryption-key-id': 'k' }, 'x-oss-server-side-encryption-key-id'],
        [
          { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-data-encryption': 'SM4' },
          'x-oss-server-side-data-encryption',
        ],
        [
          { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'AES256' },
          'x-oss-server-side-data-encryption',
        ],
      ];
      for (const [headers, name] of cases) {
        for (const [method, path] of [
          ['PUT', '/bkt/bad-sse'],
          ['POST', '/bkt/bad-sse?uploads'],
          ['POST', '/bkt/bad-sse?append&position=0'],
        ] as const) {
          const a = await call(server, method, path, {
            body: method === 'PUT' || path.includes('append') ? 'x' : null,
            headers,
          });
          expect([
            JSON.stringify(headers),
            path,
            a.status,
            errorCode(a),
            xmlField(a.text, 'ArgumentName'),
          ]).to.deep.equal([JSON.stringify(headers), path, 400, 'InvalidArgument', name]);
        }
      }
      expect((await call(server, 'HEAD', '/bkt/bad-sse')).status).to.equal(404);
      expect(xmlField((await call(server, 'GET', '/bkt/?uploads')).text, 'Upload')).to.equal(undefined);
    });
  });

  describe('storage class and ACL', () => {
    it('reports the storage class on HEAD and GET, Standard by default, and refuses unknown ones', async () => {
      await call(server, 'PUT', '/bkt/std.txt', { body: 'x' });
      await call(server, 'PUT', '/bkt/ia.txt', { body: 'x', headers: { 'x-oss-storage-class': 'IA' } });
      for (const method of ['HEAD', 'GET']) {
        expect((await call(server, method, '/bkt/std.txt')).headers['x-oss-storage-class'], method).to.equal(
          'Standard',
        );
        expect((await call(server, method, '/bkt/ia.txt')).headers['x-oss-storage-class'], method).to.equal('IA');
      }
      const bad = await call(server, 'PUT', '/bkt/cold.txt', {
        body: 'x',
        headers: { 'x-oss-storage-class': 'Glacier' },
      });
      expect([bad.status, errorCode(bad), xmlField(bad.text, 'ArgumentName')]).to.deep.equal([
        400,
        'InvalidArgument',
        'x-oss-storage-class',
      ]);
    });

    it('keeps the object ACL for GetObjectAcl (HEAD does not report it, as OSS) and refuses unknown ones', async () => {
      await call(server, 'PUT', '/bkt/acl.txt', { body: 'x', headers: { 'x-oss-object-acl': 'public-read' } });
      expect((await call(server, 'HEAD', '/bkt/acl.txt')).headers['x-oss-object-acl']).to.equal(undefined);
      expect((await call(server, 'GET', '/bkt/acl.txt?acl')).text).to.contain('<Grant>public-read</Grant>');
      const bad = await call(server, 'PUT', '/bkt/acl2.txt', {
        body: 'x',
        headers: { 'x-oss-object-acl': 'everyone' },
      });
      expect([bad.status, errorCode(bad), xmlField(bad.text, 'ArgumentName')]).to.deep.equal([
        400,
        'InvalidArgument',
        'x-oss-object-acl',
      ]);
    });
  });
});
