// Object tagging with a body (PutObjectTagging), GetObjectTagging, and x-oss-tagging on the upload operations.
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../../support/raw-http.js';

function tagging(tags: ReadonlyArray<readonly [string, string]>): string {
  return `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
}

describe('server object tagging', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer();
    await call(server, 'PUT', '/bkt/obj', { body: 'x', headers: { 'x-oss-tagging': 'old=1' } });
  });
  after(() => server.close());

  it('PUT ?tagging replaces the tags; GET ?tagging answers them in order; GET/HEAD count them', async () => {
    const put = await call(server, 'PUT', '/bkt/obj?tagging', {
      body: tagging([
        ['b', '2'],
        ['a', 'x &amp; y'],
        ['empty', ''],
      ]),
    });
    expect([put.status, put.body.length]).to.deep.equal([200, 0]);
    const got = await call(server, 'GET', '/bkt/obj?tagging');
    expect(got.text).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Tagging><TagSet>' +
        '<Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value>x &amp; y</Value></Tag><Tag><Key>empty</Key><Value></Value></Tag>' +
        '</TagSet></Tagging>',
    );
    expect((await call(server, 'HEAD', '/bkt/obj')).headers['x-oss-tagging-count']).to.equal('3');
    expect((await call(server, 'GET', '/bkt/obj')).headers['x-oss-tagging-count']).to.equal('3');
    expect((await call(server, 'GET', '/bkt/obj')).text).to.equal('x');
    await call(server, 'PUT', '/bkt/obj?tagging', { body: '<Tagging><TagSet/></Tagging>' });
    expect(xmlFields((await call(server, 'GET', '/bkt/obj?tagging')).text, 'Key')).to.deep.equal([]);
    expect((await call(server, 'HEAD', '/bkt/obj')).headers['x-oss-tagging-count']).to.equal(undefined);
  });

  it("enforces OSS's limits: ≤ 10 tags (400 BadRequest), keys ≤ 128, values ≤ 256, unique (400 InvalidTag)", async () => {
    await call(server, 'PUT', '/bkt/obj?tagging', { body: tagging([['keep', 'me']]) });
    const eleven = Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'] as const);
    const cases: Array<[string, string]> = [
      [tagging(eleven), 'BadRequest'],
      [tagging([['k'.repeat(129), 'v']]), 'InvalidTag'],
      [tagging([['k', 'v'.repeat(257)]]), 'InvalidTag'],
      [
        tagging([
          ['k', '1'],
          ['k', '2'],
        ]),
        'InvalidTag',
      ],
      [tagging([['', 'v']]), 'InvalidTag'],
      ['<Tagging><Tag><Key>k</Key></Tag></Tagging>', 'MalformedXML'],
      ['<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>', 'MalformedXML'],
      ['not xml', 'MalformedXML'],
    ];
    for (const [body, code] of cases) {
      const a = await call(server, 'PUT', '/bkt/obj?tagging', { body });
      expect([body.slice(0, 50), a.status, errorCode(a)]).to.deep.equal([body.slice(0, 50), 400, code]);
    }
    expect(xmlField((await call(server, 'GET', '/bkt/obj?tagging')).text, 'Key')).to.equal('keep');
    const ok = await call(server, 'PUT', '/bkt/obj?tagging', {
      body: tagging([['k'.repeat(128), 'v'.repeat(256)], ...eleven.slice(0, 9)]),
    });
    expect(ok.status).to.equal(200);
    const missing = await call(server, 'PUT', '/bkt/nothing?tagging', { body: tagging([['a', 'b']]) });
    expect([missing.status, errorCode(missing)]).to.deep.equal([404, 'NoSuchKey']);
  });

  it('x-oss-tagging on PutObject, InitiateMultipartUpload (applied at Complete) and the first AppendObject', async () => {
    await call(server, 'PUT', '/bkt/put', { body: 'p', headers: { 'x-oss-tagging': 'a=1&b=two%20words' } });
    expect((await call(server, 'GET', '/bkt/put?tagging')).text).to.contain(
      '<Tag><Key>b</Key><Value>two words</Value></Tag>',
    );
    const init = await call(server, 'POST', '/bkt/mp?uploads', { headers: { 'x-oss-tagging': 'mp=yes' } });
    const id = xmlField(init.text, 'UploadId')!;
    const part = await call(server, 'PUT', `/bkt/mp?partNumber=1&uploadId=${id}`, { body: 'part' });
    await call(server, 'POST', `/bkt/mp?uploadId=${id}`, {
      body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers['etag'])}</ETag></Part></CompleteMultipartUpload>`,
    });
    expect((await call(server, 'HEAD', '/bkt/mp')).headers['x-oss-tagging-count']).to.equal('1');
    await call(server, 'POST', '/bkt/log?append&position=0', { body: 'a', headers: { 'x-oss-tagging': 'first=1' } });
    expect(xmlFields((await call(server, 'GET', '/bkt/log?tagging')).text, 'Key')).to.deep.equal(['first']);
    const tooMany = await call(server, 'PUT', '/bkt/put2', {
      body: 'p',
      headers: { 'x-oss-tagging': Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&') },
    });
    expect([tooMany.status, errorCode(tooMany), xmlField(tooMany.text, 'Message')]).to.deep.equal([
      400,
      'BadRequest',
      'Object tags cannot be greater than 10',
    ]);
  });
});
