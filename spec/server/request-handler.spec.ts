import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import OSS from 'ali-oss';
import { presignV1, signRequestV1, type SignableRequest } from '../../lib/core/sign-v1.js';
import { presignV4, signRequestV4 } from '../../lib/core/sign-v4.js';
import type { OssServer } from '../../lib/server/index.js';
import { oracleCrc, pattern } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { type Answer, call, errorCode } from '../support/raw-http.js';

const creds = { accessKeyId: 'AKID', accessKeySecret: 'SECRET' };

function target(req: SignableRequest, extraQuery: Record<string, string> = {}): string {
  const q = { ...req.query, ...extraQuery };
  const qs = Object.entries(q)
    .map(([k, v]) =>
      v === null || v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
    )
    .join('&');
  const path = `/${req.bucket}/${(req.key ?? '').split('/').map(encodeURIComponent).join('/')}`;
  return qs === '' ? path : `${path}?${qs}`;
}

async function signedCall(
  server: OssServer,
  version: 'v1' | 'v4',
  req: SignableRequest,
  body?: Buffer | string,
  now = new Date(),
): Promise<Answer> {
  if (version === 'v1') signRequestV1(req, creds, now);
  else signRequestV4(req, creds, now, { region: server.region });
  return call(server, req.method, target(req), { headers: req.headers, body: body ?? null });
}

describe('server request handling with signatures', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({
      anonymous: false,
      credentials: [creds, { accessKeyId: 'STSID', accessKeySecret: 'STSSECRET', securityToken: 'tok' }],
    });
  });
  after(() => server.close());

  for (const v of ['v1', 'v4'] as const) {
    it(`accepts ${v} header signatures for put, append, multipart and get`, async () => {
      const key = `signed/${v}/a b+c.txt`;
      const put = await signedCall(
        server,
        v,
        {
          method: 'PUT',
          bucket: 'bkt',
          key,
          query: {},
          headers: { 'content-type': 'text/plain', 'x-oss-meta-a': '1' },
        },
        'hello',
      );
      expect(put.status).to.equal(200);
      const app = await signedCall(
        server,
        v,
        { method: 'POST', bucket: 'bkt', key: `${key}.log`, query: { append: null, position: '0' }, headers: {} },
        'abc',
      );
      expect([app.status, app.headers['x-oss-next-append-position']]).to.deep.equal([200, '3']);
      const init = await signedCall(server, v, {
        method: 'POST',
        bucket: 'bkt',
        key: `${key}.mp`,
        query: { uploads: null, 'encoding-type': 'url' },
        headers: {},
      });
      const id = /<UploadId>([^<]+)</.exec(init.text)![1]!;
      const part = await signedCall(
        server,
        v,
        { method: 'PUT', bucket: 'bkt', key: `${key}.mp`, query: { partNumber: '1', uploadId: id }, headers: {} },
        'part',
      );
      expect(part.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc('part'));
      const done = await signedCall(server, v, {
        method: 'POST',
        bucket: 'bkt',
        key: `${key}.mp`,
        query: { uploadId: id },
        headers: { 'x-oss-complete-all': 'yes' },
      });
      expect(done.status).to.equal(200);
      const get = await signedCall(server, v, {
        method: 'GET',
        bucket: 'bkt',
        key,
        query: {},
        headers: { range: 'bytes=1-3' },
      });
      expect([get.status, get.text]).to.deep.equal([206, 'ell']);
    });

    it(`verifies a ${v} signature over query parameters named like Object.prototype members`, async () => {
      const key = `proto-query-${v}.txt`;
      const put = await signedCall(server, v, { method: 'PUT', bucket: 'bkt', key, query: {}, headers: {} }, 'abc');
      expect(put.status).to.equal(200);
      // OSS ignores parameters it does not know; V4 signs every one, so the server must see every one.
      const query = Object.fromEntries<string | null>([
        ['constructor', 'x'],
        ['toString', null],
        ['__proto__', 'y'],
      ]);
      const get = await signedCall(server, v, { method: 'GET', bucket: 'bkt', key, query, headers: {} });
      expect([get.status, get.text]).to.deep.equal([200, 'abc']);
    });

    it(`answers 403 SignatureDoesNotMatch for a wrong ${v} signature, without storing`, async () => {
      const req: SignableRequest = { method: 'PUT', bucket: 'bkt', key: `bad-${v}`, query: {}, headers: {} };
      if (v === 'v1') signRequestV1(req, { ...creds, accessKeySecret: 'wrong' }, new Date());
      else signRequestV4(req, { ...creds, accessKeySecret: 'wrong' }, new Date(), { region: server.region });
      const a = await call(server, 'PUT', target(req), { headers: req.headers, body: 'x' });
      expect([a.status, errorCode(a)]).to.deep.equal([403, 'SignatureDoesNotMatch']);
      expect(a.text).to.contain('<StringToSign>');
      expect(
        (await signedCall(server, v, { method: 'HEAD', bucket: 'bkt', key: `bad-${v}`, query: {}, headers: {} }))
          .status,
      ).to.equal(404);
    });

    it(`accepts ${v} presigned GET and PUT URLs`, async () => {
      const now = new Date();
      const putReq: SignableRequest = {
        method: 'PUT',
        bucket: 'bkt',
        key: `pre/${v}`,
        query: {},
        headers: { 'content-type': 'text/plain' },
      };
      const putQ =
        v === 'v1'
          ? presignV1(putReq, creds, Math.floor(now.getTime() / 1000) + 60)
          : presignV4(putReq, creds, now, 60, { region: server.region });
      const put = await call(server, 'PUT', target(putReq, putQ), {
        headers: { 'content-type': 'text/plain' },
        body: 'via url',
      });
      expect(put.status).to.equal(200);
      const getReq: SignableRequest = { method: 'GET', bucket: 'bkt', key: `pre/${v}`, query: {}, headers: {} };
      const getQ =
        v === 'v1'
          ? presignV1(getReq, creds, Math.floor(now.getTime() / 1000) + 60)
          : presignV4(getReq, creds, now, 60, { region: server.region });
      expect((await call(server, 'GET', target(getReq, getQ))).text).to.equal('via url');
      const expired =
        v === 'v1'
          ? presignV1(getReq, creds, Math.floor(now.getTime() / 1000) - 1)
          : presignV4(getReq, creds, new Date(now.getTime() - 120_000), 60, { region: server.region });
      const e = await call(server, 'GET', target(getReq, expired));
      expect([e.status, errorCode(e)]).to.deep.equal([403, 'AccessDenied']);
    });
  }

  it('answers 403 AccessDenied to unsigned requests, RequestTimeTooSkewed to stale ones, InvalidAccessKeyId to unknown keys', async () => {
    const anon = await call(server, 'PUT', '/bkt/anon', { body: 'x' });
    expect([anon.status, errorCode(anon)]).to.deep.equal([403, 'AccessDenied']);
    const skew = await signedCall(
      server,
      'v1',
      { method: 'GET', bucket: 'bkt', key: 'x', query: {}, headers: {} },
      undefined,
      new Date(Date.now() - 16 * 60_000),
    );
    expect([skew.status, errorCode(skew)]).to.deep.equal([403, 'RequestTimeTooSkewed']);
    const req: SignableRequest = { method: 'GET', bucket: 'bkt', key: 'x', query: {}, headers: {} };
    signRequestV4(req, { accessKeyId: 'NOPE', accessKeySecret: 'x' }, new Date(), { region: server.region });
    const unknown = await call(server, 'GET', target(req), { headers: req.headers });
    expect([unknown.status, errorCode(unknown)]).to.deep.equal([403, 'InvalidAccessKeyId']);
    const stsReq: SignableRequest = { method: 'PUT', bucket: 'bkt', key: 'sts', query: {}, headers: {} };
    signRequestV1(stsReq, { accessKeyId: 'STSID', accessKeySecret: 'STSSECRET', securityToken: 'tok' }, new Date());
    expect((await call(server, 'PUT', target(stsReq), { headers: stsReq.headers, body: 'sts' })).status).to.equal(200);
  });

  it('holds requests to its limits.maxClockSkewMs (15 minutes unless shrunk)', async () => {
    const twoMinutesOff = new Date(Date.now() - 2 * 60_000);
    const get = (): SignableRequest => ({ method: 'GET', bucket: 'bkt', key: 'x', query: {}, headers: {} });
    const lenient = await signedCall(server, 'v1', get(), undefined, twoMinutesOff);
    expect([lenient.status, errorCode(lenient)]).to.deep.equal([404, 'NoSuchKey']);
    const strict = await startAnonymousServer({
      anonymous: false,
      credentials: [creds],
      limits: { maxClockSkewMs: 60_000 },
    });
    try {
      const skew = await signedCall(strict, 'v1', get(), undefined, twoMinutesOff);
      expect([skew.status, errorCode(skew)]).to.deep.equal([403, 'RequestTimeTooSkewed']);
      expect(skew.text).to.contain('<MaxAllowedSkewMilliseconds>60000</MaxAllowedSkewMilliseconds>');
    } finally {
      await strict.close();
    }
  });

  it('counts the bodies of rejected requests too', async () => {
    const before = server.stats.op('PutObject').bytesIn;
    await call(server, 'PUT', '/bkt/anon2', { body: 'abcdefgh' });
    // the refusal may go out before the body is read: the count catches up once it is drained
    await eventually(() => expect(server.stats.op('PutObject').bytesIn - before).to.equal(8));
  });

  it('works with the official ali-oss client, unchanged (V1 and V4)', async () => {
    const file = join(server.root, 'ali-upload.bin'); // removed with the temp root
    const big = pattern(250 * 1024);
    await writeFile(file, big);
    for (const authorizationV4 of [false, true]) {
      const client = new OSS({
        endpoint: server.endpoint,
        region: 'oss-cn-hangzhou',
        bucket: 'bkt',
        ...creds,
        authorizationV4,
      } as OSS.Options);
      const key = `ali/${String(authorizationV4)}`;
      expect((await client.put(`${key}/p.txt`, Buffer.from('hi'))).res.status).to.equal(200);
      const a1 = await client.append(`${key}/a.log`, Buffer.from('ab'));
      const a2 = await client.append(`${key}/a.log`, Buffer.from('cd'), { position: a1.nextAppendPosition });
      expect(a2.nextAppendPosition).to.equal('4');
      const mp = await client.multipartUpload(`${key}/m.bin`, file, { partSize: 100 * 1024, parallel: 2 });
      expect(mp.res.status).to.equal(200);
      const got = await client.get(`${key}/m.bin`);
      expect(Buffer.compare(got.content as Buffer, big)).to.equal(0);
      const head = await client.head(`${key}/a.log`);
      expect((head.res.headers as Record<string, string>)['x-oss-object-type']).to.equal('Appendable');
      const err = await client.head(`${key}/missing`).then(
        () => undefined,
        (e: { status: number; code: string }) => e,
      );
      expect([err?.status, err?.code]).to.deep.equal([404, 'NoSuchKey']);
    }
  });
});
