import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { OssArgumentError } from '../../lib/errors.js';
import {
  canonicalOssHeadersV1,
  canonicalResourceV1,
  formatRfc1123,
  headerDateLineV1,
  presignV1,
  signatureV1,
  signRequestV1,
  stringToSignV1,
  V1_SUB_RESOURCES,
  type SignableRequest,
} from '../../lib/core/sign-v1.js';
import { uriEncode } from '../../lib/core/sign-v4.js';

const AK = { accessKeyId: 'ak', accessKeySecret: 'sk' };
const STS = { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'token' };
const DATE = 'Wed, 28 Dec 2022 10:27:41 GMT';
const NOW = new Date(DATE);

/** The URL a presigned request ends up as: query sorted by raw key (as the Go SDK builds it), values encoded. */
function presignedUrl(host: string, key: string, query: Record<string, string | null>): string {
  const qs = Object.keys(query)
    .sort()
    .map((k) =>
      query[k] === null || query[k] === ''
        ? encodeURIComponent(k)
        : `${encodeURIComponent(k)}=${encodeURIComponent(query[k]!)}`,
    )
    .join('&');
  return `${host}/${uriEncode(key, true)}?${qs}`;
}

function h1Request(query: Record<string, string | null> = {}): SignableRequest {
  return {
    method: 'PUT',
    bucket: 'examplebucket',
    key: 'nelson',
    query,
    headers: {
      'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==',
      'content-type': 'text/html',
      'x-oss-meta-author': 'alice',
      'x-oss-meta-magic': 'abracadabra',
    },
  };
}

describe('core/sign-v1', () => {
  describe('SDK test vectors (go1 conn_test.go / go2 signer_test.go, protocol §1.4)', () => {
    it('V1-H1: PUT with Content-MD5, Content-Type and x-oss-meta-* headers', () => {
      const req = h1Request();
      signRequestV1(req, AK, NOW);
      expect(stringToSignV1(req, DATE)).to.equal(
        `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${DATE}\nx-oss-date:${DATE}\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson`,
      );
      expect(req.headers['authorization']).to.equal('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=');
      expect(req.headers['date']).to.equal(DATE);
      expect(req.headers['x-oss-date']).to.equal(DATE);
    });

    it('V1-H2: same with ?acl', () => {
      const req = h1Request({ acl: null });
      signRequestV1(req, AK, NOW);
      expect(stringToSignV1(req, DATE).endsWith('\n/examplebucket/nelson?acl')).to.equal(true);
      expect(req.headers['authorization']).to.equal('OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=');
    });

    it('V1-H3: GET /?resourceGroup&non-resousce=null signs only the sub-resource', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'examplebucket',
        query: { resourceGroup: '', 'non-resousce': 'null' },
        headers: {},
      };
      signRequestV1(req, AK, NOW);
      expect(stringToSignV1(req, DATE)).to.equal(`GET\n\n\n${DATE}\nx-oss-date:${DATE}\n/examplebucket/?resourceGroup`);
      expect(req.headers['authorization']).to.equal('OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=');
    });

    it('V1-H4: GET /?resourceGroup&acl sorts the sub-resources', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'examplebucket',
        query: { resourceGroup: null, acl: null },
        headers: {},
      };
      signRequestV1(req, AK, NOW);
      expect(stringToSignV1(req, DATE)).to.equal(
        `GET\n\n\n${DATE}\nx-oss-date:${DATE}\n/examplebucket/?acl&resourceGroup`,
      );
      expect(req.headers['authorization']).to.equal('OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=');
    });

    it('V1-Q1: presigned GET with versionId', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'bucket',
        key: 'key',
        query: { versionId: 'versionId' },
        headers: {},
      };
      expect(stringToSignV1(req, '1699807420')).to.equal('GET\n\n\n1699807420\n/bucket/key?versionId=versionId');
      const params = presignV1(req, AK, 1699807420);
      expect(params).to.deep.equal({
        OSSAccessKeyId: 'ak',
        Expires: '1699807420',
        Signature: 'dcLTea+Yh9ApirQ8o8dOPqtvJXQ=',
      });
      expect(presignedUrl('http://bucket.oss-cn-hangzhou.aliyuncs.com', 'key', { ...req.query, ...params })).to.equal(
        'http://bucket.oss-cn-hangzhou.aliyuncs.com/key?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId',
      );
    });

    it('V1-Q2: presigned GET of key+123 with an STS token signs the raw key and security-token', () => {
      const req: SignableRequest = {
        method: 'GET',
        bucket: 'bucket',
        key: 'key+123',
        query: { versionId: 'versionId' },
        headers: {},
      };
      const withToken = { ...req, query: { ...req.query, 'security-token': 'token' } };
      expect(stringToSignV1(withToken, '1699808204')).to.equal(
        'GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId',
      );
      const params = presignV1(req, STS, 1699808204);
      expect(params).to.deep.equal({
        OSSAccessKeyId: 'ak',
        Expires: '1699808204',
        Signature: 'jzKYRrM5y6Br0dRFPaTGOsbrDhY=',
        'security-token': 'token',
      });
      expect(req.query).to.deep.equal({ versionId: 'versionId' }, 'presign must not modify the request');
      expect(
        presignedUrl('http://bucket.oss-cn-hangzhou.aliyuncs.com', 'key+123', { ...req.query, ...params }),
      ).to.equal(
        'http://bucket.oss-cn-hangzhou.aliyuncs.com/key%2B123?Expires=1699808204&OSSAccessKeyId=ak&Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D&security-token=token&versionId=versionId',
      );
    });
  });

  describe('SELF-COMPUTED vectors for upload operations (protocol §1.5, not from any SDK test)', () => {
    it('V1-U1 (self-computed): UploadPart', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'examplebucket',
        key: 'multipart.data',
        query: { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' },
        headers: { date: DATE },
      };
      const sts = stringToSignV1(req, headerDateLineV1(req.headers));
      expect(sts).to.equal(
        `PUT\n\n\n${DATE}\n/examplebucket/multipart.data?partNumber=1&uploadId=0004B9895DBBB6EC98E36`,
      );
      expect(`OSS ak:${signatureV1('sk', sts)}`).to.equal('OSS ak:NVsrQG9r9MX6fsbGIR1XGm7Dkww=');
    });

    it('V1-U2 (self-computed): AppendObject with STS token and a mixed-case x-oss header', () => {
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'logs/app.log',
        query: { append: null, position: '0' },
        headers: {
          'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
          'content-type': 'text/plain',
          'x-oss-security-token': 'token',
          'X-OSS-Meta-Author': 'alice',
          date: DATE,
        },
      };
      const sts = stringToSignV1(req, DATE);
      expect(sts).to.equal(
        `POST\nXUFAKrxLKna5cZ2REBfFkg==\ntext/plain\n${DATE}\nx-oss-meta-author:alice\nx-oss-security-token:token\n/examplebucket/logs/app.log?append&position=0`,
      );
      expect(`OSS ak:${signatureV1('sk', sts)}`).to.equal('OSS ak:AK8iKQGKQVFpa0HCVqDuxGFslyI=');
    });

    it('V1-U3 (self-computed): InitiateMultipartUpload', () => {
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'multipart.data',
        query: { uploads: null },
        headers: { 'content-type': 'application/octet-stream', date: DATE },
      };
      const sts = stringToSignV1(req, DATE);
      expect(sts).to.equal(`POST\n\napplication/octet-stream\n${DATE}\n/examplebucket/multipart.data?uploads`);
      expect(`OSS ak:${signatureV1('sk', sts)}`).to.equal('OSS ak:KQ3PJnFGaP+UO/zEv21P7CP1qLk=');
    });

    it('V1-U4 (self-computed): CompleteMultipartUpload with callback; encoding-type is not signed', () => {
      const callback = Buffer.from(
        '{"callbackUrl":"http://oss-demo.aliyuncs.com:23450","callbackBody":"bucket=${bucket}&object=${object}&size=${size}"}',
      ).toString('base64');
      expect(callback).to.equal(
        'eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9vc3MtZGVtby5hbGl5dW5jcy5jb206MjM0NTAiLCJjYWxsYmFja0JvZHkiOiJidWNrZXQ9JHtidWNrZXR9Jm9iamVjdD0ke29iamVjdH0mc2l6ZT0ke3NpemV9In0=',
      );
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'multipart.data',
        query: { uploadId: '0004B9895DBBB6EC98E36', 'encoding-type': 'url' },
        headers: {
          'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
          'content-type': 'application/xml',
          'x-oss-callback': callback,
          date: DATE,
        },
      };
      const sts = stringToSignV1(req, DATE);
      expect(sts).to.equal(
        `POST\n1B2M2Y8AsgTpgAmY7PhCfg==\napplication/xml\n${DATE}\nx-oss-callback:${callback}\n/examplebucket/multipart.data?uploadId=0004B9895DBBB6EC98E36`,
      );
      expect(`OSS ak:${signatureV1('sk', sts)}`).to.equal('OSS ak:P1Afz4S1oq4y9/H4Qn2t8ZoEAz4=');
    });

    it('V1-U5 (self-computed): presigned PUT of a key with a space and a plus', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'examplebucket',
        key: 'dir/a b+c.txt',
        query: {},
        headers: { 'content-type': 'text/plain' },
      };
      expect(stringToSignV1(req, '1700000000')).to.equal('PUT\n\ntext/plain\n1700000000\n/examplebucket/dir/a b+c.txt');
      const params = presignV1(req, AK, 1700000000);
      expect(params['Signature']).to.equal('HRIqmY9T3g0v3f5ktsW0TK8bsQM=');
      expect(presignedUrl('https://examplebucket.oss-cn-hangzhou.aliyuncs.com', req.key!, params)).to.equal(
        'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc.txt?Expires=1700000000&OSSAccessKeyId=ak&Signature=HRIqmY9T3g0v3f5ktsW0TK8bsQM%3D',
      );
    });
  });

  describe('rules', () => {
    it('signatureV1 is base64 HMAC-SHA1 of the UTF-8 string (independent oracle)', () => {
      const sts = 'PUT\n\n\n1\n/b/中文 key';
      expect(signatureV1('sk', sts)).to.equal(
        createHmac('sha1', Buffer.from('sk')).update(Buffer.from(sts, 'utf8')).digest('base64'),
      );
    });

    it('canonical resource for service-, bucket- and object-level requests', () => {
      expect(canonicalResourceV1(undefined, undefined, {})).to.equal('/');
      expect(canonicalResourceV1(undefined, undefined, { 'max-keys': '10' })).to.equal('/');
      expect(canonicalResourceV1('b', undefined, {})).to.equal('/b/');
      expect(canonicalResourceV1('b', undefined, { uploads: null, prefix: 'x' })).to.equal('/b/?uploads');
      expect(canonicalResourceV1('b', 'k', {})).to.equal('/b/k');
    });

    it('excludes every query parameter that is not a sub-resource', () => {
      const query = {
        uploadId: 'u1',
        'encoding-type': 'url',
        'max-parts': '1000',
        'part-number-marker': '3',
        'max-uploads': '5',
        'key-marker': 'k',
        'upload-id-marker': 'm',
        prefix: 'p',
        delimiter: '/',
        'x-oss-unknown': 'v',
      };
      expect(canonicalResourceV1('b', 'k', query)).to.equal('/b/k?uploadId=u1');
      for (const name of ['encoding-type', 'max-parts', 'prefix', 'delimiter'])
        expect(V1_SUB_RESOURCES.has(name), name).to.equal(false);
    });

    it('emits bare sub-resources for null and empty values, k=v otherwise, sorted in byte order', () => {
      expect(canonicalResourceV1('b', 'k', { uploads: '', append: null, position: '0', uploadId: 'x' })).to.equal(
        '/b/k?append&position=0&uploadId=x&uploads',
      );
      // Byte order puts "-" before letters and upper case before lower case, unlike localeCompare.
      expect(
        canonicalResourceV1('b', 'k', { responseHeader: '1', 'response-content-type': 'a/b', 'response-expires': 'e' }),
      ).to.equal('/b/k?response-content-type=a/b&response-expires=e&responseHeader=1');
    });

    it('signs the raw key and raw sub-resource values (no URL encoding)', () => {
      expect(canonicalResourceV1('b', 'dir/a b+c%20d.txt', { versionId: 'v+1 /=' })).to.equal(
        '/b/dir/a b+c%20d.txt?versionId=v+1 /=',
      );
    });

    it('lower-cases, trims and sorts x-oss-* headers; other headers are not canonicalised', () => {
      expect(
        canonicalOssHeadersV1({
          'X-OSS-Meta-B': '  two ',
          'x-oss-meta-a': 'one',
          'x-oss-storage-class': 'IA',
          'cache-control': 'no-cache',
          host: 'h',
        }),
      ).to.equal('x-oss-meta-a:one\nx-oss-meta-b:two\nx-oss-storage-class:IA\n');
      expect(canonicalOssHeadersV1({ 'content-type': 'a' })).to.equal('');
    });

    it('joins values of a header given in two spellings with a comma', () => {
      expect(canonicalOssHeadersV1({ 'x-oss-meta-a': '1', 'X-Oss-Meta-A': '2', 'x-oss-meta-b': '3' })).to.equal(
        'x-oss-meta-a:1,2\nx-oss-meta-b:3\n',
      );
    });

    it('uses Content-MD5 and Content-Type verbatim and finds them in any case', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'b',
        key: 'k',
        query: {},
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'CONTENT-MD5': 'abc=' },
      };
      expect(stringToSignV1(req, 'D')).to.equal('PUT\nabc=\ntext/plain; charset=utf-8\nD\n/b/k');
    });

    it('headerDateLineV1 prefers x-oss-date, falls back to Date, else empty', () => {
      expect(headerDateLineV1({ date: 'A', 'x-oss-date': 'B' })).to.equal('B');
      expect(headerDateLineV1({ date: 'A' })).to.equal('A');
      expect(headerDateLineV1({ Date: 'A' })).to.equal('A');
      expect(headerDateLineV1({})).to.equal('');
    });

    it('signRequestV1 with STS credentials sets and signs x-oss-security-token', () => {
      const req: SignableRequest = { method: 'GET', bucket: 'b', key: 'k', query: {}, headers: {} };
      signRequestV1(req, STS, NOW);
      expect(req.headers['x-oss-security-token']).to.equal('token');
      const sts = `GET\n\n\n${DATE}\nx-oss-date:${DATE}\nx-oss-security-token:token\n/b/k`;
      expect(stringToSignV1(req, DATE)).to.equal(sts);
      expect(req.headers['authorization']).to.equal(`OSS ak:${signatureV1('sk', sts)}`);
    });

    it('re-signing with static keys removes a stale token and gives the same result on retry', () => {
      const req: SignableRequest = { method: 'GET', bucket: 'b', key: 'k', query: {}, headers: {} };
      signRequestV1(req, STS, NOW);
      signRequestV1(req, AK, NOW);
      expect(req.headers).to.not.have.property('x-oss-security-token');
      const first = req.headers['authorization'];
      signRequestV1(req, AK, NOW);
      expect(req.headers['authorization']).to.equal(first);
      expect(first).to.equal(`OSS ak:${signatureV1('sk', `GET\n\n\n${DATE}\nx-oss-date:${DATE}\n/b/k`)}`);
    });

    it('formatRfc1123 pads the day and uses GMT', () => {
      expect(formatRfc1123(new Date(Date.UTC(2024, 0, 5, 3, 4, 5)))).to.equal('Fri, 05 Jan 2024 03:04:05 GMT');
    });

    it('presignV1 rejects a non-integer or negative expiry', () => {
      const req: SignableRequest = { method: 'GET', bucket: 'b', key: 'k', query: {}, headers: {} };
      for (const bad of [Number.NaN, -1, 1.5, Infinity])
        expect(() => presignV1(req, AK, bad)).to.throw(OssArgumentError);
    });

    it('a presigned URL verifies by recomputing over the received query (server view)', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'b',
        key: 'a b',
        query: { uploadId: 'u', partNumber: '2' },
        headers: {},
      };
      const params = presignV1(req, STS, 1700000000);
      // The server sees every parameter; OSSAccessKeyId/Expires/Signature are not sub-resources, security-token is.
      const received: SignableRequest = { ...req, query: { ...req.query, ...params } };
      expect(signatureV1('sk', stringToSignV1(received, params['Expires']!))).to.equal(params['Signature']);
    });
  });
});
