import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../../support/raw-http.js';

const MIN = 1024;

async function initiate(server: OssServer, key: string, headers: Record<string, string> = {}): Promise<string> {
  const a = await call(server, 'POST', `/bkt/${key}?uploads`, { headers });
  expect(a.status).to.equal(200);
  return xmlField(a.text, 'UploadId')!;
}

async function part(server: OssServer, key: string, id: string, n: number, body: Buffer): Promise<string> {
  const a = await call(server, 'PUT', `/bkt/${key}?partNumber=${n}&uploadId=${id}`, { body });
  expect(a.status).to.equal(200);
  return String(a.headers['etag']);
}

function completeXml(parts: Array<[number, string]>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
}

function expectedEtag(parts: Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex').toUpperCase()}-${parts.length}"`;
}

describe('server multipart upload', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ limits: { minPartSize: MIN } });
  });
  after(() => server.close());

  it('initiates, uploads parts (per-part ETag and CRC), completes with the multipart ETag and combined CRC', async () => {
    const id = await initiate(server, 'mp/a.bin', {
      'content-type': 'video/mp4',
      'x-oss-meta-who': 'me',
      'x-oss-storage-class': 'IA',
    });
    expect(id).to.match(/^[0-9A-F]{32}$/);
    const bodies = [pattern(MIN, 1), pattern(MIN + 10, 2), pattern(7, 3)];
    const etags: string[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const a = await call(server, 'PUT', `/bkt/mp/a.bin?partNumber=${i + 1}&uploadId=${id}`, { body: bodies[i]! });
      expect(a.headers['etag']).to.equal(md5Etag(bodies[i]!));
      expect(a.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(bodies[i]!));
      etags.push(String(a.headers['etag']));
    }
    const done = await call(server, 'POST', `/bkt/mp/a.bin?uploadId=${id}`, {
      body: completeXml(etags.map((e, i) => [i + 1, e])),
    });
    expect(done.status).to.equal(200);
    const whole = Buffer.concat(bodies);
    expect(done.headers['etag']).to.equal(expectedEtag(bodies));
    expect(done.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(whole));
    expect(xmlField(done.text, 'Key')).to.equal('mp/a.bin');
    expect(xmlField(done.text, 'Bucket')).to.equal('bkt');
    expect(xmlField(done.text, 'Location')).to.equal(`http://127.0.0.1:${server.port}/bkt/mp/a.bin`);
    const get = await call(server, 'GET', '/bkt/mp/a.bin');
    expect(get.body.equals(whole)).to.equal(true);
    expect(get.headers['x-oss-object-type']).to.equal('Multipart');
    expect(get.headers['content-type']).to.equal('video/mp4');
    expect(get.headers['x-oss-meta-who']).to.equal('me');
    expect(get.headers['x-oss-storage-class']).to.equal('IA');
    // a range spanning the part boundary
    const range = await call(server, 'GET', '/bkt/mp/a.bin', { headers: { range: `bytes=${MIN - 3}-${MIN + 2}` } });
    expect(range.status).to.equal(206);
    expect(range.body.equals(whole.subarray(MIN - 3, MIN + 3))).to.equal(true);
    // the upload is gone once completed
    const again = await call(server, 'GET', `/bkt/mp/a.bin?uploadId=${id}`);
    expect([again.status, errorCode(again)]).to.deep.equal([404, 'NoSuchUpload']);
    const app = await call(server, 'POST', `/bkt/mp/a.bin?append&position=${whole.length}`, { body: 'x' });
    expect([app.status, errorCode(app)]).to.deep.equal([409, 'ObjectNotAppendable']);
  });

  it('replaces a part uploaded twice with the same number, skips unlisted parts, allows gaps', async () => {
    const id = await initiate(server, 'mp/b');
    await part(server, 'mp/b', id, 1, pattern(MIN, 9));
    const e1 = await part(server, 'mp/b', id, 1, pattern(MIN, 4));
    const e2 = await part(server, 'mp/b', id, 2, pattern(MIN, 5));
    const e5 = await part(server, 'mp/b', id, 5, pattern(10, 6));
    const done = await call(server, 'POST', `/bkt/mp/b?uploadId=${id}&encoding-type=url`, {
      body: completeXml([
        [1, e1],
        [5, e5],
      ]),
    });
    expect(done.status).to.equal(200);
    expect(xmlField(done.text, 'EncodingType')).to.equal('url');
    expect(
      (await call(server, 'GET', '/bkt/mp/b')).body.equals(Buffer.concat([pattern(MIN, 4), pattern(10, 6)])),
    ).to.equal(true);
    void e2;
  });

  it('answers InvalidPartOrder, InvalidPart, EntityTooSmall and MalformedXML, keeping the upload', async () => {
    const id = await initiate(server, 'mp/c');
    const e1 = await part(server, 'mp/c', id, 1, pattern(MIN - 1, 1));
    const e2 = await part(server, 'mp/c', id, 2, pattern(MIN, 2));
    const order = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, {
      body: completeXml([
        [2, e2],
        [1, e1],
      ]),
    });
    expect([order.status, errorCode(order)]).to.deep.equal([400, 'InvalidPartOrder']);
    const dup = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, {
      body: completeXml([
        [1, e1],
        [1, e1],
      ]),
    });
    expect([dup.status, errorCode(dup)]).to.deep.equal([400, 'InvalidPartOrder']);
    const unknown = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, {
      body: completeXml([
        [1, e1],
        [3, e2],
      ]),
    });
    expect([unknown.status, errorCode(unknown)]).to.deep.equal([400, 'InvalidPart']);
    const wrongEtag = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, { body: completeXml([[1, e2]]) });
    expect([wrongEtag.status, errorCode(wrongEtag)]).to.deep.equal([400, 'InvalidPart']);
    const small = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, {
      body: completeXml([
        [1, e1],
        [2, e2],
      ]),
    });
    expect([small.status, errorCode(small)]).to.deep.equal([400, 'EntityTooSmall']);
    const bad = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, { body: '<CompleteMultipartUpload><Part>' });
    expect([bad.status, errorCode(bad)]).to.deep.equal([400, 'MalformedXML']);
    // ETags are accepted unquoted and in lower case too; a small last part is fine
    const ok = await call(server, 'POST', `/bkt/mp/c?uploadId=${id}`, {
      body: completeXml([[2, e2.replace(/"/g, '').toLowerCase()]]),
    });
    expect(ok.status).to.equal(200);
  });

  it('completes with x-oss-complete-all: yes (empty body required)', async () => {
    const id = await initiate(server, 'mp/d');
    const a = pattern(MIN, 1);
    const b = pattern(3, 2);
    await part(server, 'mp/d', id, 2, b);
    await part(server, 'mp/d', id, 1, a);
    const withBody = await call(server, 'POST', `/bkt/mp/d?uploadId=${id}`, {
      headers: { 'x-oss-complete-all': 'yes' },
      body: completeXml([]),
    });
    expect([withBody.status, errorCode(withBody)]).to.deep.equal([400, 'InvalidArgument']);
    const done = await call(server, 'POST', `/bkt/mp/d?uploadId=${id}`, { headers: { 'x-oss-complete-all': 'yes' } });
    expect(done.status).to.equal(200);
    expect(done.headers['etag']).to.equal(expectedEtag([a, b]));
    expect((await call(server, 'GET', '/bkt/mp/d')).body.equals(Buffer.concat([a, b]))).to.equal(true);
  });

  it('aborts with 204, then answers NoSuchUpload to every use of the id', async () => {
    const id = await initiate(server, 'mp/e');
    await part(server, 'mp/e', id, 1, pattern(10));
    const abort = await call(server, 'DELETE', `/bkt/mp/e?uploadId=${id}`);
    expect(abort.status).to.equal(204);
    for (const [m, q, body] of [
      ['DELETE', '', undefined],
      ['PUT', '&partNumber=1', 'x'],
      ['GET', '', undefined],
      ['POST', '', completeXml([[1, '"x"']])],
    ] as const) {
      const a = await call(server, m, `/bkt/mp/e?uploadId=${id}${q}`, { body: body ?? null });
      expect([m, a.status, errorCode(a)]).to.deep.equal([m, 404, 'NoSuchUpload']);
    }
    const otherKey = await initiate(server, 'mp/f');
    const wrongKey = await call(server, 'PUT', `/bkt/mp/e?partNumber=1&uploadId=${otherKey}`, { body: 'x' });
    expect([wrongKey.status, errorCode(wrongKey)]).to.deep.equal([404, 'NoSuchUpload']);
  });

  it('rejects part numbers outside 1..10000 with InvalidArgument', async () => {
    const id = await initiate(server, 'mp/g');
    for (const n of ['0', '10001', 'x']) {
      const a = await call(server, 'PUT', `/bkt/mp/g?partNumber=${n}&uploadId=${id}`, { body: 'x' });
      expect([a.status, errorCode(a), xmlField(a.text, 'ArgumentName')]).to.deep.equal([
        400,
        'InvalidArgument',
        'partNumber',
      ]);
    }
    expect((await call(server, 'PUT', `/bkt/mp/g?partNumber=10000&uploadId=${id}`, { body: 'x' })).status).to.equal(
      200,
    );
  });

  it('answers FileAlreadyExists on Initiate and Complete with x-oss-forbid-overwrite', async () => {
    await call(server, 'PUT', '/bkt/mp/h', { body: 'x' });
    const init = await call(server, 'POST', '/bkt/mp/h?uploads', { headers: { 'x-oss-forbid-overwrite': 'true' } });
    expect([init.status, errorCode(init)]).to.deep.equal([409, 'FileAlreadyExists']);
    const id = await initiate(server, 'mp/h');
    const e = await part(server, 'mp/h', id, 1, pattern(5));
    const done = await call(server, 'POST', `/bkt/mp/h?uploadId=${id}`, {
      headers: { 'x-oss-forbid-overwrite': 'true' },
      body: completeXml([[1, e]]),
    });
    expect([done.status, errorCode(done)]).to.deep.equal([409, 'FileAlreadyExists']);
    // the upload survives the refused Complete
    expect((await call(server, 'GET', `/bkt/mp/h?uploadId=${id}`)).status).to.equal(200);
  });

  it('lists parts in pages with part-number-marker', async () => {
    const id = await initiate(server, 'mp/list');
    for (const n of [3, 1, 2, 5, 4]) await part(server, 'mp/list', id, n, pattern(n));
    const p1 = await call(server, 'GET', `/bkt/mp/list?uploadId=${id}&max-parts=2`);
    expect(xmlFields(p1.text, 'PartNumber')).to.deep.equal(['1', '2']);
    expect(xmlFields(p1.text, 'Size')).to.deep.equal(['1', '2']);
    expect(xmlField(p1.text, 'IsTruncated')).to.equal('true');
    expect(xmlField(p1.text, 'NextPartNumberMarker')).to.equal('2');
    expect(xmlFields(p1.text, 'HashCrc64ecma')).to.deep.equal([oracleCrc(pattern(1)), oracleCrc(pattern(2))]);
    const p2 = await call(server, 'GET', `/bkt/mp/list?uploadId=${id}&max-parts=2&part-number-marker=2`);
    expect(xmlFields(p2.text, 'PartNumber')).to.deep.equal(['3', '4']);
    const p3 = await call(server, 'GET', `/bkt/mp/list?uploadId=${id}&max-parts=2&part-number-marker=4`);
    expect(xmlFields(p3.text, 'PartNumber')).to.deep.equal(['5']);
    expect(xmlField(p3.text, 'IsTruncated')).to.equal('false');
    const all = await call(server, 'GET', `/bkt/mp/list?uploadId=${id}`);
    expect(xmlField(all.text, 'MaxParts')).to.equal('1000');
    const tooMany = await call(server, 'GET', `/bkt/mp/list?uploadId=${id}&max-parts=1001`);
    expect([tooMany.status, errorCode(tooMany)]).to.deep.equal([400, 'InvalidArgument']);
  });

  it('lists uploads in pages with key-marker and upload-id-marker, prefix and delimiter', async () => {
    const s2 = await startAnonymousServer();
    try {
      const ids: Array<[string, string]> = [];
      for (const key of ['u/a', 'u/b', 'u/b', 'u/c/x', 'u/c/y', 'v']) {
        const a = await call(s2, 'POST', `/bkt/${key}?uploads`);
        ids.push([key, xmlField(a.text, 'UploadId')!]);
      }
      const page = async (q: string): Promise<string> => (await call(s2, 'GET', `/bkt/?uploads${q}`)).text;
      const p1 = await page('&prefix=u/&max-uploads=2');
      expect(xmlFields(p1, 'Key')).to.deep.equal(['u/a', 'u/b']);
      expect(xmlFields(p1, 'UploadId')).to.deep.equal([ids[0]![1], ids[1]![1]]);
      expect([
        xmlField(p1, 'IsTruncated'),
        xmlField(p1, 'NextKeyMarker'),
        xmlField(p1, 'NextUploadIdMarker'),
      ]).to.deep.equal(['true', 'u/b', ids[1]![1]]);
      const p2 = await page(`&prefix=u/&max-uploads=2&key-marker=u/b&upload-id-marker=${ids[1]![1]}`);
      expect(xmlFields(p2, 'UploadId')).to.deep.equal([ids[2]![1], ids[3]![1]]);
      const rolled = await page('&prefix=u/&delimiter=/');
      expect(xmlFields(rolled, 'Key')).to.deep.equal(['u/a', 'u/b', 'u/b']);
      expect(xmlFields(rolled, 'Prefix').slice(1)).to.deep.equal(['u/c/']);
      const all = await page('');
      expect(xmlFields(all, 'Key')).to.deep.equal(['u/a', 'u/b', 'u/b', 'u/c/x', 'u/c/y', 'v']);
      expect(xmlField(all, 'MaxUploads')).to.equal('1000');
    } finally {
      await s2.close();
    }
  });

  it('keeps the object whole when Complete races UploadPart and Abort', async () => {
    const id = await initiate(server, 'mp/race');
    const e1 = await part(server, 'mp/race', id, 1, pattern(MIN));
    const [c, a] = await Promise.all([
      call(server, 'POST', `/bkt/mp/race?uploadId=${id}`, { body: completeXml([[1, e1]]) }),
      call(server, 'DELETE', `/bkt/mp/race?uploadId=${id}`),
    ]);
    const statuses = [c.status, a.status].sort();
    expect(
      [
        [200, 404],
        [204, 404],
      ].some((s) => s[0] === statuses[0] && s[1] === statuses[1]),
    ).to.equal(true);
    if (c.status === 200) expect((await call(server, 'GET', '/bkt/mp/race')).body.equals(pattern(MIN))).to.equal(true);
  });
});
