import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { LIMITS } from '../../lib/config.js';
import { authenticate, stringToSignBytes, type AuthInput, type ServerCredential } from '../../lib/server/auth.js';
import { ServerError } from '../../lib/server/server-error.js';
import { presignV1, signRequestV1, type SignableRequest } from '../../lib/core/sign-v1.js';
import { formatIsoBasic, presignV4, signRequestV4 } from '../../lib/core/sign-v4.js';

const AK: ServerCredential = { accessKeyId: 'ak', accessKeySecret: 'sk' };
const AK_STS: ServerCredential = { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'token' };
const CREDS: readonly ServerCredential[] = [
  { accessKeyId: 'other', accessKeySecret: 'other-secret' },
  { accessKeyId: 'LTAIuser', accessKeySecret: 'user-secret' },
  { accessKeyId: 'STS.temp', accessKeySecret: 'temp-secret', securityToken: 'sts-token' },
];
const USER = CREDS[1]!;
const STS = CREDS[2]!;
const REGION = 'cn-hangzhou';
const NOW = new Date('2024-03-05T06:07:08.000Z');
const MINUTE = 60_000;

type Query = Record<string, string | null>;

function request(overrides: Partial<SignableRequest> = {}): SignableRequest {
  return {
    method: 'PUT',
    bucket: 'examplebucket',
    key: 'dir/multipart.data',
    query: { partNumber: '3', uploadId: '0004B9895DBBB6EC98E36' },
    headers: {
      'content-type': 'application/octet-stream',
      'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
      'x-oss-meta-author': 'alice',
    },
    ...overrides,
  };
}

/** The AuthInput the server would build from `req` received at `now`. */
function input(req: SignableRequest, now: Date = NOW, region: string = REGION): AuthInput {
  const out: AuthInput = {
    method: req.method,
    query: req.query,
    headers: req.headers,
    now,
    region,
    maxClockSkewMs: LIMITS.maxClockSkewMs,
  };
  if (req.bucket !== undefined) out.bucket = req.bucket;
  if (req.key !== undefined) out.key = req.key;
  return out;
}

function signedV1(req: SignableRequest, cred: ServerCredential = USER, at: Date = NOW): SignableRequest {
  signRequestV1(req, cred, at);
  return req;
}

function signedV4(
  req: SignableRequest,
  cred: ServerCredential = USER,
  at: Date = NOW,
  additionalHeaders?: string[],
): SignableRequest {
  signRequestV4(
    req,
    cred,
    at,
    additionalHeaders === undefined ? { region: REGION } : { region: REGION, additionalHeaders },
  );
  return req;
}

function rejects(fn: () => unknown, status: number, code: string): ServerError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ServerError').to.be.instanceOf(ServerError);
  const err = caught as ServerError;
  expect({ status: err.status, code: err.code }).to.deep.equal({ status, code });
  return err;
}

describe('server/auth', () => {
  describe('request routing', () => {
    it('answers 403 AccessDenied when no credentials are present', () => {
      const err = rejects(() => authenticate(input(request()), CREDS), 403, 'AccessDenied');
      expect(err.message).to.equal('Anonymous access is forbidden for this operation.');
    });

    for (const header of [
      'Bearer abc',
      'OSS2 AccessKeyId:ak,Signature:x',
      'OSS ',
      'OSS ak',
      'OSS :sig',
      'OSS ak:',
      '',
    ]) {
      it(`answers 400 InvalidArgument for Authorization ${JSON.stringify(header)}`, () => {
        const req = request({ headers: { authorization: header, date: NOW.toUTCString() } });
        const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
        expect(err.message).to.equal('Authorization header is invalid.');
        expect(err.extra['ArgumentName']).to.equal('Authorization');
        expect(err.extra['ArgumentValue']).to.equal(header);
      });
    }

    for (const header of [
      'OSS4-HMAC-SHA256 Credential=LTAIuser/20240305/cn-hangzhou/oss/aliyun_v4_request',
      'OSS4-HMAC-SHA256 Signature=' + 'a'.repeat(64),
      'OSS4-HMAC-SHA256 Credential=LTAIuser/20240305/cn-hangzhou/oss/abc,Signature=' + 'a'.repeat(64),
      'OSS4-HMAC-SHA256 CredentialLTAIuser/20240305/cn-hangzhou/oss/aliyun_v4_request,Signature=' + 'a'.repeat(64),
      'OSS4-HMAC-SHA256 Credential=LTAIuser/20240305/cn-hangzhou/oss/aliyun_v4_request,Signature=abc',
    ]) {
      it(`answers 400 InvalidArgument for the malformed V4 header ${header.slice(17, 60)}…`, () => {
        const req = request({ headers: { authorization: header, 'x-oss-date': formatIsoBasic(NOW) } });
        rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      });
    }
  });

  describe('V1 header', () => {
    it('accepts a request signed by signRequestV1 (Date and x-oss-date)', () => {
      expect(authenticate(input(signedV1(request())), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('takes the request time from x-oss-date when present, as ali-oss sends only that header', () => {
      const req = signedV1(request());
      req.headers['date'] = 'Thu, 01 Jan 1970 00:00:00 GMT';
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      delete req.headers['date'];
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('accepts a hand-signed request that carries only Date (oss2, go)', () => {
      const date = NOW.toUTCString();
      const req = request({ headers: { date } });
      const sts = `PUT\n\n\n${date}\n/examplebucket/dir/multipart.data?partNumber=3&uploadId=0004B9895DBBB6EC98E36`;
      req.headers['authorization'] = `OSS LTAIuser:${createHmac('sha1', 'user-secret').update(sts).digest('base64')}`;
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      req.headers['x-oss-date'] = date; // now a signed header the signature did not cover
      rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
    });

    it('ignores query parameters that are not sub-resources (ali-oss sends encoding-type unsigned)', () => {
      const req = signedV1(request({ method: 'POST', query: { uploads: null } }));
      req.query = { uploads: null, 'encoding-type': 'url', 'max-parts': '10', prefix: 'a' };
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('accepts the bucket-level resource "/bucket/" for an empty or absent key', () => {
      const req = request({ method: 'GET', query: { 'max-keys': '5' } });
      delete req.key;
      signedV1(req);
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      expect(authenticate({ ...input(req), key: '' }, CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('answers SignatureDoesNotMatch with the string to sign, its bytes, the provided signature and the key id', () => {
      const req = signedV1(request(), { accessKeyId: 'LTAIuser', accessKeySecret: 'wrong' });
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
      const date = NOW.toUTCString();
      const sts =
        `PUT\nXUFAKrxLKna5cZ2REBfFkg==\napplication/octet-stream\n${date}\nx-oss-date:${date}\nx-oss-meta-author:alice\n` +
        '/examplebucket/dir/multipart.data?partNumber=3&uploadId=0004B9895DBBB6EC98E36';
      expect(err.message).to.equal(
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
      expect(err.extra).to.deep.equal({
        OSSAccessKeyId: 'LTAIuser',
        SignatureProvided: req.headers['authorization']!.slice('OSS LTAIuser:'.length),
        StringToSign: sts,
        StringToSignBytes: stringToSignBytes(sts),
        EC: '0002-00000040',
      });
      expect(err.headers).to.deep.equal({ 'x-oss-ec': '0002-00000040' });
    });

    it('formats StringToSignBytes like OSS: upper-case hex bytes, each followed by a space', () => {
      expect(stringToSignBytes('PUT\n\n/é')).to.equal('50 55 54 0A 0A 2F C3 A9 ');
    });

    it('answers 403 InvalidAccessKeyId for an unknown key id', () => {
      const req = signedV1(request(), { accessKeyId: 'nobody', accessKeySecret: 'user-secret' });
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'InvalidAccessKeyId');
      expect(err.message).to.equal('The OSS Access Key Id you provided does not exist in our records.');
      expect(err.extra).to.deep.equal({ OSSAccessKeyId: 'nobody' });
    });

    const tampering: [string, (r: SignableRequest) => void][] = [
      ['a signed x-oss header', (r) => void (r.headers['x-oss-meta-author'] = 'mallory')],
      ['an added x-oss header', (r) => void (r.headers['x-oss-object-acl'] = 'public-read')],
      ['Content-Type', (r) => void (r.headers['content-type'] = 'text/html')],
      ['Content-MD5', (r) => void delete r.headers['content-md5']],
      ['a sub-resource value', (r) => void (r.query['partNumber'] = '4')],
      ['an added sub-resource', (r) => void (r.query['acl'] = null)],
      ['the key', (r) => void (r.key = 'dir/other.data')],
      ['the bucket', (r) => void (r.bucket = 'otherbucket')],
      ['the method', (r) => void (r.method = 'POST')],
    ];
    for (const [what, tamper] of tampering) {
      it(`rejects a request whose ${what} changed after signing`, () => {
        const req = signedV1(request());
        tamper(req);
        rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
      });
    }

    it('accepts a skew of 14 and of exactly 15 minutes either way', () => {
      for (const offset of [-15 * MINUTE, -14 * MINUTE, 14 * MINUTE, 15 * MINUTE]) {
        const req = signedV1(request(), USER, new Date(NOW.getTime() + offset));
        expect(authenticate(input(req), CREDS), `offset ${offset}`).to.deep.equal({ accessKeyId: 'LTAIuser' });
      }
    });

    for (const minutes of [16, -16]) {
      it(`answers 403 RequestTimeTooSkewed for a request ${minutes} minutes off`, () => {
        const at = new Date(NOW.getTime() + minutes * MINUTE);
        const err = rejects(
          () => authenticate(input(signedV1(request(), USER, at)), CREDS),
          403,
          'RequestTimeTooSkewed',
        );
        expect(err.message).to.equal('The difference between the request time and the current time is too large.');
        expect(err.extra).to.deep.equal({
          RequestTime: at.toISOString(),
          ServerTime: NOW.toISOString(),
          MaxAllowedSkewMilliseconds: String(LIMITS.maxClockSkewMs),
          EC: '0002-00000504',
        });
      });
    }

    it('holds requests to the skew limit it is given (the server passes its limits.maxClockSkewMs)', () => {
      const at = new Date(NOW.getTime() + 2_000);
      const near = { ...input(signedV1(request(), USER, at)), maxClockSkewMs: 2_000 };
      expect(authenticate(near, CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      const err = rejects(() => authenticate({ ...near, maxClockSkewMs: 1_999 }, CREDS), 403, 'RequestTimeTooSkewed');
      expect(err.extra?.['MaxAllowedSkewMilliseconds']).to.equal('1999');
    });

    it('answers 403 AccessDenied without a Date or with an unparsable one', () => {
      const req = request({ headers: { authorization: 'OSS LTAIuser:abc=' } });
      const missing = rejects(() => authenticate(input(req), CREDS), 403, 'AccessDenied');
      expect(missing.message).to.equal('OSS authentication requires a valid Date.');
      expect(missing.extra['EC']).to.equal('0002-00000503');
      req.headers['date'] = 'yesterday';
      const bad = rejects(() => authenticate(input(req), CREDS), 403, 'AccessDenied');
      expect(bad.extra['EC']).to.equal('0002-00000502');
    });
  });

  describe('V1 SDK vectors (protocol §1.4, go1/go2 tests) verified at their sign time', () => {
    const date = 'Wed, 28 Dec 2022 10:27:41 GMT';
    const at = new Date(date);
    const h1 = (): Record<string, string> => ({
      'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==',
      'content-type': 'text/html',
      'x-oss-meta-author': 'alice',
      'x-oss-meta-magic': 'abracadabra',
      'x-oss-date': date,
      date,
    });
    const cases: [string, SignableRequest, string][] = [
      [
        'V1-H1',
        { method: 'PUT', bucket: 'examplebucket', key: 'nelson', query: {}, headers: h1() },
        'OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=',
      ],
      [
        'V1-H2',
        { method: 'PUT', bucket: 'examplebucket', key: 'nelson', query: { acl: null }, headers: h1() },
        'OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=',
      ],
      [
        'V1-H3',
        {
          method: 'GET',
          bucket: 'examplebucket',
          query: { resourceGroup: null, 'non-resousce': null },
          headers: { 'x-oss-date': date, date },
        },
        'OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=',
      ],
      [
        'V1-H4',
        {
          method: 'GET',
          bucket: 'examplebucket',
          query: { resourceGroup: null, acl: null },
          headers: { 'x-oss-date': date, date },
        },
        'OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=',
      ],
      [
        'V1-U1 (self-computed) UploadPart',
        {
          method: 'PUT',
          bucket: 'examplebucket',
          key: 'multipart.data',
          query: { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' },
          headers: { date },
        },
        'OSS ak:NVsrQG9r9MX6fsbGIR1XGm7Dkww=',
      ],
      [
        'V1-U3 (self-computed) InitiateMultipartUpload',
        {
          method: 'POST',
          bucket: 'examplebucket',
          key: 'multipart.data',
          query: { uploads: null },
          headers: { 'content-type': 'application/octet-stream', date },
        },
        'OSS ak:KQ3PJnFGaP+UO/zEv21P7CP1qLk=',
      ],
      [
        'V1-U4 (self-computed) Complete + callback, encoding-type unsigned',
        {
          method: 'POST',
          bucket: 'examplebucket',
          key: 'multipart.data',
          query: { uploadId: '0004B9895DBBB6EC98E36', 'encoding-type': 'url' },
          headers: {
            'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
            'content-type': 'application/xml',
            'x-oss-callback':
              'eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9vc3MtZGVtby5hbGl5dW5jcy5jb206MjM0NTAiLCJjYWxsYmFja0JvZHkiOiJidWNrZXQ9JHtidWNrZXR9Jm9iamVjdD0ke29iamVjdH0mc2l6ZT0ke3NpemV9In0=',
            date,
          },
        },
        'OSS ak:P1Afz4S1oq4y9/H4Qn2t8ZoEAz4=',
      ],
    ];
    for (const [name, req, authorization] of cases) {
      it(`${name} verifies`, () => {
        req.headers['authorization'] = authorization;
        expect(authenticate(input(req, at), [AK])).to.deep.equal({ accessKeyId: 'ak' });
        // The same request with one more signed header no longer verifies: the vector really is checked.
        req.headers['x-oss-meta-extra'] = '1';
        rejects(() => authenticate(input(req, at), [AK]), 403, 'SignatureDoesNotMatch');
      });
    }

    it('V1-U2 (self-computed) AppendObject with an STS token verifies', () => {
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'logs/app.log',
        query: { append: null, position: '0' },
        headers: {
          'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
          'content-type': 'text/plain',
          'x-oss-security-token': 'token',
          'x-oss-meta-author': 'alice',
          date,
          authorization: 'OSS ak:AK8iKQGKQVFpa0HCVqDuxGFslyI=',
        },
      };
      expect(authenticate(input(req, at), [AK_STS])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V1-Q1 presigned GET with versionId verifies before Expires', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'bucket',
        key: 'key',
        query: {
          Expires: '1699807420',
          OSSAccessKeyId: 'ak',
          Signature: 'dcLTea+Yh9ApirQ8o8dOPqtvJXQ=',
          versionId: 'versionId',
        },
        headers: {},
      };
      expect(authenticate(input(req, new Date(1699807420_000 - 60_000)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      // Exactly at Expires it is still valid; one second later it is not.
      expect(authenticate(input(req, new Date(1699807420_000)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      const err = rejects(() => authenticate(input(req, new Date(1699807421_000)), [AK]), 403, 'AccessDenied');
      expect(err.message).to.equal('Request has expired.');
      expect(err.extra).to.deep.equal({
        Expires: '2023-11-12T16:43:40.000Z',
        ServerTime: '2023-11-12T16:43:41.000Z',
        EC: '0002-00000069',
      });
    });

    it('V1-Q2 presigned GET with security-token and key "key+123" verifies', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'bucket',
        key: 'key+123',
        query: {
          Expires: '1699808204',
          OSSAccessKeyId: 'ak',
          Signature: 'jzKYRrM5y6Br0dRFPaTGOsbrDhY=',
          'security-token': 'token',
          versionId: 'versionId',
        },
        headers: {},
      };
      expect(authenticate(input(req, new Date(1699808000_000)), [AK_STS])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V1-U5 (self-computed) presigned PUT with Content-Type verifies, and only with that Content-Type', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'examplebucket',
        key: 'dir/a b+c.txt',
        query: { Expires: '1700000000', OSSAccessKeyId: 'ak', Signature: 'HRIqmY9T3g0v3f5ktsW0TK8bsQM=' },
        headers: { 'content-type': 'text/plain' },
      };
      const at = new Date(1699999000_000);
      expect(authenticate(input(req, at), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      req.headers['content-type'] = 'application/octet-stream';
      rejects(() => authenticate(input(req, at), [AK]), 403, 'SignatureDoesNotMatch');
    });
  });

  describe('V1 presigned', () => {
    const expires = Math.floor(NOW.getTime() / 1000) + 300;

    it('accepts a URL from presignV1 and ignores unsigned parameters', () => {
      const req = request({ method: 'GET', query: {}, headers: {} });
      req.query = { ...presignV1(req, USER, expires), 'encoding-type': 'url' };
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('has no skew window: a URL valid for days is accepted', () => {
      const req = request({ method: 'GET', query: {}, headers: {} });
      req.query = presignV1(req, USER, expires + 7 * 86_400);
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('answers SignatureDoesNotMatch for a tampered key or sub-resource', () => {
      const req = request({ method: 'GET', query: { versionId: 'v1' }, headers: {} });
      req.query = { ...req.query, ...presignV1(req, USER, expires) };
      rejects(() => authenticate(input({ ...req, key: 'dir/other' }), CREDS), 403, 'SignatureDoesNotMatch');
      const err = rejects(
        () => authenticate(input({ ...req, query: { ...req.query, versionId: 'v2' } }), CREDS),
        403,
        'SignatureDoesNotMatch',
      );
      expect(err.extra['StringToSign']).to.equal(`GET\n\n\n${expires}\n/examplebucket/dir/multipart.data?versionId=v2`);
    });

    it('answers 403 AccessDenied for a missing or non-numeric Expires', () => {
      const req = request({ method: 'GET', query: {}, headers: {} });
      const q = presignV1(req, USER, expires);
      const empty = rejects(
        () => authenticate(input({ ...req, query: { ...q, Expires: '' } }), CREDS),
        403,
        'AccessDenied',
      );
      expect(empty.extra['EC']).to.equal('0002-00000068');
      const bad = rejects(
        () => authenticate(input({ ...req, query: { ...q, Expires: 'abc' } }), CREDS),
        403,
        'AccessDenied',
      );
      expect(bad.extra['EC']).to.equal('0002-00000070');
      const noSignature: Query = { ...q };
      delete noSignature['Signature'];
      rejects(() => authenticate(input({ ...req, query: noSignature }), CREDS), 403, 'AccessDenied');
    });

    it('answers 403 InvalidAccessKeyId for an unknown OSSAccessKeyId', () => {
      const req = request({ method: 'GET', query: {}, headers: {} });
      req.query = presignV1(req, { accessKeyId: 'ghost', accessKeySecret: 'x' }, expires);
      rejects(() => authenticate(input(req), CREDS), 403, 'InvalidAccessKeyId');
    });
  });

  describe('V4 header', () => {
    it('accepts a request signed by signRequestV4', () => {
      expect(authenticate(input(signedV4(request())), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('accepts the server region with or without the oss- prefix', () => {
      expect(authenticate(input(signedV4(request()), NOW, 'oss-cn-hangzhou'), CREDS)).to.deep.equal({
        accessKeyId: 'LTAIuser',
      });
    });

    it('accepts both field separators (", " as oss2 writes, "," as go and ali-oss) and any field order', () => {
      const signed = signedV4(
        request({ headers: { ...request().headers, host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com' } }),
        USER,
        NOW,
        ['host'],
      );
      const auth = signed.headers['authorization']!;
      const m = /^OSS4-HMAC-SHA256 Credential=([^,]+),AdditionalHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
      expect(m, auth).to.not.equal(null);
      const [, credential, additional, signature] = m!;
      for (const variant of [
        auth,
        `OSS4-HMAC-SHA256 Credential=${credential}, AdditionalHeaders=${additional}, Signature=${signature}`,
        `OSS4-HMAC-SHA256 Credential=${credential}, Signature=${signature}, AdditionalHeaders=${additional}`,
      ]) {
        signed.headers['authorization'] = variant;
        expect(authenticate(input(signed), CREDS), variant).to.deep.equal({ accessKeyId: 'LTAIuser' });
      }
    });

    it('signs every query parameter: an added or changed one breaks the signature', () => {
      const req = signedV4(request());
      rejects(
        () => authenticate(input({ ...req, query: { ...req.query, 'encoding-type': 'url' } }), CREDS),
        403,
        'SignatureDoesNotMatch',
      );
      rejects(
        () => authenticate(input({ ...req, query: { ...req.query, uploadId: 'other' } }), CREDS),
        403,
        'SignatureDoesNotMatch',
      );
    });

    const tampering: [string, (r: SignableRequest) => void][] = [
      ['a signed x-oss header', (r) => void (r.headers['x-oss-meta-author'] = 'mallory')],
      ['Content-Type', (r) => void (r.headers['content-type'] = 'text/html')],
      ['the key', (r) => void (r.key = 'dir/other.data')],
      ['the payload hash header', (r) => void (r.headers['x-oss-content-sha256'] = 'a'.repeat(64))],
    ];
    for (const [what, tamper] of tampering) {
      it(`rejects a request whose ${what} changed after signing`, () => {
        const req = signedV4(request());
        tamper(req);
        rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
      });
    }

    it('signs additional headers: a changed Host breaks the signature, an unlisted header does not', () => {
      const req = signedV4(request({ headers: { host: 'examplebucket.localhost', range: 'bytes=0-1' } }), USER, NOW, [
        'host',
      ]);
      req.headers['range'] = 'bytes=5-9';
      expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      req.headers['host'] = 'otherbucket.localhost';
      rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
    });

    it('answers SignatureDoesNotMatch with the string to sign and the canonical request', () => {
      const req = signedV4(
        request({
          query: { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' },
          headers: { 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==' },
        }),
        {
          accessKeyId: 'LTAIuser',
          accessKeySecret: 'wrong',
        },
      );
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
      const iso = formatIsoBasic(NOW);
      const canonical =
        `PUT\n/examplebucket/dir/multipart.data\npartNumber=1&uploadId=0004B9895DBBB6EC98E36\n` +
        `content-md5:XUFAKrxLKna5cZ2REBfFkg==\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:${iso}\n\n\nUNSIGNED-PAYLOAD`;
      expect(err.extra['CanonicalRequest']).to.equal(canonical);
      expect(err.extra['StringToSign']).to.match(
        new RegExp(`^OSS4-HMAC-SHA256\\n${iso}\\n20240305/cn-hangzhou/oss/aliyun_v4_request\\n[0-9a-f]{64}$`),
      );
      expect(err.extra['SignatureProvided']).to.equal(
        /Signature=([0-9a-f]{64})$/.exec(req.headers['authorization']!)![1],
      );
      expect(err.extra['OSSAccessKeyId']).to.equal('LTAIuser');
      expect(err.extra['EC']).to.equal('0002-00000201');
    });

    it('answers 400 InvalidArgument when the scope date differs from x-oss-date', () => {
      const req = signedV4(request());
      req.headers['authorization'] = req.headers['authorization']!.replace('/20240305/', '/20240304/');
      const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      expect(err.message).to.equal('Invalid signing date in Authorization header.');
    });

    it('judges each request by its own time across a day boundary, whatever was verified just before', () => {
      // The verifier remembers the last timestamp and day it parsed: a request of the next day, then one of the
      // previous day again, must each be checked against their own day.
      const before = new Date('2024-03-05T23:59:59.000Z');
      const after = new Date('2024-03-06T00:00:00.000Z');
      for (const at of [before, after, before, after]) {
        expect(authenticate(input(signedV4(request(), USER, at), at), CREDS)).to.deep.equal({
          accessKeyId: 'LTAIuser',
        });
      }
      const late = signedV4(request(), USER, after);
      late.headers['authorization'] = late.headers['authorization']!.replace('/20240306/', '/20240305/');
      rejects(() => authenticate(input(late, after), CREDS), 400, 'InvalidArgument');
      // The same timestamp twice in a row, the second time from the remembered parse, with a different signature.
      const first = signedV4(request(), USER, before);
      const second = signedV4(request({ key: 'other-key' }), USER, before);
      expect(authenticate(input(first, before), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      second.headers['authorization'] = second.headers['authorization']!.replace(
        /Signature=.*/,
        `Signature=${'0'.repeat(64)}`,
      );
      rejects(() => authenticate(input(second, before), CREDS), 403, 'SignatureDoesNotMatch');
    });

    it('rejects a remembered timestamp that a later request sends with a different key id', () => {
      const a = signedV4(request());
      const b = signedV4(request(), { accessKeyId: 'nobody', accessKeySecret: 'x' });
      expect(authenticate(input(a), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      rejects(() => authenticate(input(b), CREDS), 403, 'InvalidAccessKeyId');
      expect(authenticate(input(signedV4(request())), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('answers 400 InvalidArgument when the scope region is not the server region', () => {
      const req = request();
      signRequestV4(req, USER, NOW, { region: 'cn-shanghai' });
      const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      expect(err.message).to.equal('Invalid signing region in Authorization header.');
      expect(err.extra['EC']).to.equal('0002-00000226');
    });

    it('names an empty region as OSS does: "The signing region in credential is invalid."', () => {
      const req = signedV4(request());
      req.headers['authorization'] = req.headers['authorization']!.replace('/cn-hangzhou/', '//');
      const header = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      expect(header.message).to.equal('The signing region in credential is invalid.');
      const url = request();
      url.query = { ...url.query, ...presignV4(url, USER, NOW, 600, { region: REGION }) };
      url.query['x-oss-credential'] = url.query['x-oss-credential']!.replace('/cn-hangzhou/', '//');
      const query = rejects(() => authenticate(input(url), CREDS), 400, 'InvalidArgument');
      expect(query.message).to.equal('The signing region in credential is invalid.');
    });

    it('answers a malformed credential in the header with "Invalid credential in Authorization header."', () => {
      const req = signedV4(request());
      req.headers['authorization'] = req.headers['authorization']!.replace('aliyun_v4_request', 'abc');
      const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      expect(err.message).to.equal('Invalid credential in Authorization header.');
    });

    it('answers 400 InvalidArgument for a product other than oss', () => {
      const req = request();
      signRequestV4(req, USER, NOW, { region: REGION, product: 'oss-cloudbox' });
      const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
      expect(err.message).to.equal('Invalid signing product in Authorization header.');
    });

    it('accepts 14 minutes of skew and answers RequestTimeTooSkewed at 16, either way', () => {
      for (const minutes of [14, -14]) {
        const req = signedV4(request(), USER, new Date(NOW.getTime() + minutes * MINUTE));
        expect(authenticate(input(req), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
      }
      for (const minutes of [16, -16]) {
        const at = new Date(NOW.getTime() + minutes * MINUTE);
        const err = rejects(
          () => authenticate(input(signedV4(request(), USER, at)), CREDS),
          403,
          'RequestTimeTooSkewed',
        );
        expect(err.extra['RequestTime']).to.equal(at.toISOString());
        expect(err.extra['ServerTime']).to.equal(NOW.toISOString());
      }
    });

    it('answers 403 AccessDenied for an x-oss-date that is not ISO 8601 basic', () => {
      const req = signedV4(request());
      req.headers['x-oss-date'] = NOW.toUTCString();
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'AccessDenied');
      expect(err.message).to.equal('OSS authentication requires a valid Date.');
      req.headers['x-oss-date'] = '20241305T000000Z';
      rejects(() => authenticate(input(req), CREDS), 403, 'AccessDenied');
    });

    it('falls back to the Date header, used verbatim, when x-oss-date is absent (Go SDK v1)', () => {
      const req = signedV4(request());
      const auth = req.headers['authorization']!;
      delete req.headers['x-oss-date'];
      req.headers['date'] = NOW.toUTCString();
      // The signature covered x-oss-date, so this one no longer matches; the error shows the Date line was used.
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'SignatureDoesNotMatch');
      expect(err.extra['StringToSign']!.split('\n')[1]).to.equal(NOW.toUTCString());
      expect(auth).to.contain('/20240305/');
    });
  });

  describe('V4 SDK vectors (protocol §2.3, go1/go2/py2 tests) verified at their sign time', () => {
    const key = '1234+-/123/1.txt';
    const commonHeaders = (): Record<string, string> => ({
      'x-oss-head1': 'value',
      abc: 'value',
      zabc: 'value',
      xyz: 'value',
    });
    const commonQuery = (): Query => ({
      param1: 'value1',
      '+param1': 'value3',
      '|param1': 'value4',
      '+param2': null,
      '|param2': null,
      param2: null,
    });
    const at = (seconds: number): Date => new Date(seconds * 1000);

    function headerCase(seconds: number, authorization: string, extra: Record<string, string> = {}): SignableRequest {
      return {
        method: 'PUT',
        bucket: 'bucket',
        key,
        query: commonQuery(),
        headers: {
          ...commonHeaders(),
          'content-type': 'text/plain',
          'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
          'x-oss-date': formatIsoBasic(at(seconds)),
          ...extra,
          authorization,
        },
      };
    }

    it('V4-H1 verifies, and with ", " separators too', () => {
      const auth =
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe';
      const req = headerCase(1702743657, auth);
      expect(authenticate(input(req, at(1702743657)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      req.headers['authorization'] = auth.replace(',Signature', ', Signature');
      expect(authenticate(input(req, at(1702743657 + 60)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V4-H1 answers the documented canonical request when the secret is wrong', () => {
      const req = headerCase(
        1702743657,
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe',
      );
      const err = rejects(
        () => authenticate(input(req, at(1702743657)), [{ accessKeyId: 'ak', accessKeySecret: 'not-sk' }]),
        403,
        'SignatureDoesNotMatch',
      );
      expect(err.extra['CanonicalRequest']).to.equal(
        'PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n' +
          'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
      );
      expect(err.extra['StringToSign']).to.equal(
        'OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4',
      );
    });

    it('V4-H2 with x-oss-security-token verifies against the STS credential', () => {
      const req = headerCase(
        1702784856,
        'OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea',
        { 'x-oss-security-token': 'token' },
      );
      expect(authenticate(input(req, at(1702784856)), [AK_STS])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V4-H3 with AdditionalHeaders=abc;zabc verifies in both separator styles', () => {
      const signature = '4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f';
      const credential = 'ak/20231216/cn-hangzhou/oss/aliyun_v4_request';
      for (const auth of [
        `OSS4-HMAC-SHA256 Credential=${credential},AdditionalHeaders=abc;zabc,Signature=${signature}`,
        `OSS4-HMAC-SHA256 Credential=${credential}, Signature=${signature}, AdditionalHeaders=abc;zabc`,
      ]) {
        const req = headerCase(1702747512, auth);
        expect(authenticate(input(req, at(1702747512)), [AK]), auth).to.deep.equal({ accessKeyId: 'ak' });
        req.headers['zabc'] = 'changed';
        rejects(() => authenticate(input(req, at(1702747512)), [AK]), 403, 'SignatureDoesNotMatch');
      }
    });

    it('V4-U1 (self-computed) UploadPart verifies', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'examplebucket',
        key: 'dir/multipart.data',
        query: { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' },
        headers: {
          'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
          'content-length': '5',
          'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
          'x-oss-date': '20231216T162057Z',
          authorization:
            'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=d64001c361333f0390f7e252c6eb50eb5d5b5948cd54c7679cc80561c7c49ac8',
        },
      };
      expect(authenticate(input(req, at(1702743657)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V4-U2 (self-computed) AppendObject with STS and AdditionalHeaders=host verifies', () => {
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'logs/app.log',
        query: { append: null, position: '0' },
        headers: {
          'content-type': 'text/plain',
          'x-oss-security-token': 'token',
          host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
          'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
          'x-oss-date': '20231216T162057Z',
          authorization:
            'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=059a42c2906b15ac10a67881eec29da4ee100d87883e96903c236461e2435f70',
        },
      };
      expect(authenticate(input(req, at(1702743657)), [AK_STS])).to.deep.equal({ accessKeyId: 'ak' });
    });

    function queryCase(seconds: number, signature: string, extra: Query = {}): SignableRequest {
      const iso = formatIsoBasic(at(seconds));
      return {
        method: 'PUT',
        bucket: 'bucket',
        key,
        headers: { ...commonHeaders(), 'content-type': 'application/octet-stream' },
        query: {
          ...commonQuery(),
          'x-oss-signature-version': 'OSS4-HMAC-SHA256',
          'x-oss-credential': `ak/${iso.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`,
          'x-oss-date': iso,
          'x-oss-expires': '599',
          ...extra,
          'x-oss-signature': signature,
        },
      };
    }

    it('V4-Q1 presigned verifies within its 599 s and is expired after', () => {
      const req = queryCase(1702781677, 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe');
      expect(authenticate(input(req, at(1702781677)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      expect(authenticate(input(req, at(1702781677 + 599)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      const err = rejects(() => authenticate(input(req, at(1702781677 + 600)), [AK]), 403, 'AccessDenied');
      expect(err.message).to.equal('Request has expired.');
      expect(err.extra).to.deep.equal({ Expires: '2023-12-17T03:04:36.000Z', ServerTime: '2023-12-17T03:04:37.000Z' });
    });

    it('V4-Q2 presigned with x-oss-security-token verifies', () => {
      const req = queryCase(1702785388, '3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5', {
        'x-oss-security-token': 'token',
      });
      expect(authenticate(input(req, at(1702785400)), [AK_STS])).to.deep.equal({ accessKeyId: 'ak' });
    });

    it('V4-Q3 presigned with x-oss-additional-headers verifies', () => {
      const req = queryCase(1702783809, '6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7', {
        'x-oss-additional-headers': 'abc;zabc',
      });
      expect(authenticate(input(req, at(1702783809)), [AK])).to.deep.equal({ accessKeyId: 'ak' });
      req.headers['abc'] = 'changed';
      rejects(() => authenticate(input(req, at(1702783809)), [AK]), 403, 'SignatureDoesNotMatch');
    });
  });

  describe('V4 presigned', () => {
    function presigned(expires = 600, at: Date = NOW, cred: ServerCredential = USER): SignableRequest {
      const req = request({ method: 'GET', query: { 'response-content-type': 'text/plain' }, headers: {} });
      req.query = { ...req.query, ...presignV4(req, cred, at, expires, { region: REGION }) };
      return req;
    }

    it('accepts a URL from presignV4', () => {
      expect(authenticate(input(presigned()), CREDS)).to.deep.equal({ accessKeyId: 'LTAIuser' });
    });

    it('answers 403 AccessDenied "Request has expired." once date + expires has passed', () => {
      const req = presigned(60, new Date(NOW.getTime() - 61_000));
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'AccessDenied');
      expect(err.message).to.equal('Request has expired.');
      expect(err.extra['Expires']).to.equal(new Date(NOW.getTime() - 1000).toISOString());
    });

    it('accepts a URL dated up to 15 minutes ahead and rejects one dated 16 minutes ahead', () => {
      expect(authenticate(input(presigned(60, new Date(NOW.getTime() + 14 * MINUTE))), CREDS)).to.deep.equal({
        accessKeyId: 'LTAIuser',
      });
      const err = rejects(
        () => authenticate(input(presigned(60, new Date(NOW.getTime() + 16 * MINUTE))), CREDS),
        403,
        'AccessDenied',
      );
      expect(err.message).to.equal('Request is not valid yet.');
      expect(err.extra['EC']).to.equal('0002-00000235');
    });

    for (const expires of ['0', '604801', '-1', '1.5', 'abc']) {
      it(`answers 400 InvalidArgument for x-oss-expires=${expires}`, () => {
        const req = presigned();
        req.query['x-oss-expires'] = expires;
        const err = rejects(() => authenticate(input(req), CREDS), 400, 'InvalidArgument');
        expect(err.extra).to.deep.equal({ ArgumentName: 'x-oss-expires', ArgumentValue: expires, EC: '0002-00000232' });
      });
    }

    it('accepts the longest validity, 604800 s', () => {
      expect(authenticate(input(presigned(604_800, new Date(NOW.getTime() - 604_000_000))), CREDS)).to.deep.equal({
        accessKeyId: 'LTAIuser',
      });
    });

    it('signs every query parameter, the signature excepted', () => {
      const req = presigned();
      rejects(
        () => authenticate(input({ ...req, query: { ...req.query, 'encoding-type': 'url' } }), CREDS),
        403,
        'SignatureDoesNotMatch',
      );
      rejects(
        () => authenticate(input({ ...req, query: { ...req.query, 'response-content-type': 'text/html' } }), CREDS),
        403,
        'SignatureDoesNotMatch',
      );
      rejects(() => authenticate(input({ ...req, key: 'dir/other' }), CREDS), 403, 'SignatureDoesNotMatch');
    });

    it('answers 400 InvalidArgument for a wrong signature version, a missing field or a wrong scope', () => {
      const req = presigned();
      rejects(
        () => authenticate(input({ ...req, query: { ...req.query, 'x-oss-signature-version': 'OSS2' } }), CREDS),
        400,
        'InvalidArgument',
      );
      const missing: Query = { ...req.query };
      delete missing['x-oss-date'];
      rejects(() => authenticate(input({ ...req, query: missing }), CREDS), 400, 'InvalidArgument');
      const credential = req.query['x-oss-credential']!;
      const wrongDay = rejects(
        () =>
          authenticate(
            input({
              ...req,
              query: { ...req.query, 'x-oss-credential': credential.replace('/20240305/', '/20240306/') },
            }),
            CREDS,
          ),
        400,
        'InvalidArgument',
      );
      expect(wrongDay.message).to.equal('Invalid signing date in x-oss-credential.');
      const wrongRegion = rejects(
        () =>
          authenticate(
            input({
              ...req,
              query: { ...req.query, 'x-oss-credential': credential.replace('/cn-hangzhou/', '/cn-beijing/') },
            }),
            CREDS,
          ),
        400,
        'InvalidArgument',
      );
      expect(wrongRegion.message).to.equal('Invalid signing region in x-oss-credential.');
      rejects(
        () =>
          authenticate(
            input({
              ...req,
              query: { ...req.query, 'x-oss-credential': credential.replace('aliyun_v4_request', 'abc') },
            }),
            CREDS,
          ),
        400,
        'InvalidArgument',
      );
    });

    it('answers 403 InvalidAccessKeyId for an unknown key id', () => {
      rejects(
        () => authenticate(input(presigned(600, NOW, { accessKeyId: 'ghost', accessKeySecret: 'x' })), CREDS),
        403,
        'InvalidAccessKeyId',
      );
    });
  });

  describe('STS security tokens', () => {
    const wrongToken: ServerCredential = { ...STS, securityToken: 'forged' };
    const noToken: ServerCredential = { accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret };

    it('accepts the right token in the header (V1, V4) and in the query (V1 security-token, V4 x-oss-security-token)', () => {
      expect(authenticate(input(signedV1(request(), STS)), CREDS)).to.deep.equal({ accessKeyId: 'STS.temp' });
      expect(authenticate(input(signedV4(request(), STS)), CREDS)).to.deep.equal({ accessKeyId: 'STS.temp' });
      const v1 = request({ method: 'GET', query: {}, headers: {} });
      v1.query = presignV1(v1, STS, Math.floor(NOW.getTime() / 1000) + 60);
      expect(v1.query['security-token']).to.equal('sts-token');
      expect(authenticate(input(v1), CREDS)).to.deep.equal({ accessKeyId: 'STS.temp' });
      const v4 = request({ method: 'GET', query: {}, headers: {} });
      v4.query = presignV4(v4, STS, NOW, 60, { region: REGION });
      expect(v4.query['x-oss-security-token']).to.equal('sts-token');
      expect(authenticate(input(v4), CREDS)).to.deep.equal({ accessKeyId: 'STS.temp' });
    });

    it('answers 403 InvalidSecurityToken for a different token (V1, V4, presigned)', () => {
      for (const req of [signedV1(request(), wrongToken), signedV4(request(), wrongToken)]) {
        const err = rejects(() => authenticate(input(req), CREDS), 403, 'InvalidSecurityToken');
        expect(err.message).to.equal('The security token you provided is invalid.');
      }
      const v1 = request({ method: 'GET', query: {}, headers: {} });
      v1.query = presignV1(v1, wrongToken, Math.floor(NOW.getTime() / 1000) + 60);
      rejects(() => authenticate(input(v1), CREDS), 403, 'InvalidSecurityToken');
    });

    it('answers 403 InvalidSecurityToken for a token that is a prefix or an extension of the right one', () => {
      for (const token of ['sts-toke', 'sts-token-and-more']) {
        const req = signedV4(request(), { ...STS, securityToken: token });
        rejects(() => authenticate(input(req), CREDS), 403, 'InvalidSecurityToken');
      }
    });

    it('answers 403 InvalidAccessKeyId for an STS key sent without its token', () => {
      for (const req of [signedV1(request(), noToken), signedV4(request(), noToken)]) {
        const err = rejects(() => authenticate(input(req), CREDS), 403, 'InvalidAccessKeyId');
        expect(err.extra['OSSAccessKeyId']).to.equal('STS.temp');
      }
    });

    it('answers 403 InvalidAccessKeyId for a token sent with a permanent key', () => {
      const req = signedV4(request(), { ...USER, securityToken: 'sts-token' });
      const err = rejects(() => authenticate(input(req), CREDS), 403, 'InvalidAccessKeyId');
      expect(err.extra).to.deep.equal({ OSSAccessKeyId: 'LTAIuser', EC: '0002-00000002' });
    });

    it('checks the token before the signature, so a wrong token is reported as such', () => {
      const req = signedV1(request(), { ...wrongToken, accessKeySecret: 'also-wrong' });
      rejects(() => authenticate(input(req), CREDS), 403, 'InvalidSecurityToken');
    });
  });
});
