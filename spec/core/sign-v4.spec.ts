import { createHash, createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import fc from 'fast-check';
import { OssArgumentError } from '../../lib/errors.js';
import type { SignableRequest } from '../../lib/core/sign-v1.js';
import {
  additionalHeadersV4,
  canonicalQueryV4,
  canonicalRequestV4,
  formatIsoBasic,
  formatRfc1123,
  presignV4,
  signatureForScopeV4,
  SigningKeyCacheV4,
  signRequestV4,
  standardRegionV4,
  stringToSignV4,
  uriEncode,
} from '../../lib/core/sign-v4.js';
import { parseAuthorizationV4, parseCredentialV4 } from '../../lib/server/authorization-header.js';

const AK = { accessKeyId: 'ak', accessKeySecret: 'sk' };
const STS = { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'token' };
const OPTS = { region: 'cn-hangzhou' };
const at = (unixSeconds: number): Date => new Date(unixSeconds * 1000);

/** The common request of the SDK vectors (go1 conn_test.go, go2 signer_test.go, py2 test_v4.py). */
function sdkRequest(headers: Record<string, string> = {}): SignableRequest {
  return {
    method: 'PUT',
    bucket: 'bucket',
    key: '1234+-/123/1.txt',
    query: { param1: 'value1', '+param1': 'value3', '|param1': 'value4', '+param2': '', '|param2': '', param2: '' },
    headers: {
      'x-oss-head1': 'value',
      abc: 'value',
      ZAbc: 'value',
      XYZ: 'value',
      'content-type': 'text/plain',
      ...headers,
    },
  };
}

/** Independent oracle: RFC 3986 byte-by-byte encoding of the UTF-8 form. */
function oracleEncode(s: string, keepSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Independent oracle for the signing key chain. */
function oracleSigningKey(secret: string, day: string, region: string, product: string): Buffer {
  const h = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  return h(h(h(h(`aliyun_v4${secret}`, day), region), product), 'aliyun_v4_request');
}

/** The URL the Go SDK builds for V4-Q1: query sorted by raw key, key and value RFC 3986-encoded, '/' escaped in the path. */
function goStyleUrl(host: string, key: string, query: Record<string, string | null>): string {
  const qs = Object.keys(query)
    .sort()
    .map((k) =>
      query[k] === null || query[k] === ''
        ? uriEncode(k, false)
        : `${uriEncode(k, false)}=${uriEncode(query[k]!, false)}`,
    )
    .join('&');
  return `${host}/${uriEncode(key, false)}?${qs}`;
}

describe('core/sign-v4', () => {
  describe('SDK test vectors (go1 / go2 / py2 tests, protocol §2.3)', () => {
    it('V4-H1: header auth; canonical request and string to sign as derived in §2.3', () => {
      const req = sdkRequest();
      signRequestV4(req, AK, at(1702743657), OPTS);
      expect(req.headers['x-oss-date']).to.equal('20231216T162057Z');
      expect(req.headers['x-oss-content-sha256']).to.equal('UNSIGNED-PAYLOAD');
      const cr = canonicalRequestV4(req, []);
      expect(cr).to.equal(
        'PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n' +
          'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
      );
      expect(stringToSignV4('20231216T162057Z', '20231216/cn-hangzhou/oss/aliyun_v4_request', cr)).to.equal(
        'OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4',
      );
      expect(req.headers['authorization']).to.equal(
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe',
      );
    });

    it('V4-H2: header auth with an STS token', () => {
      const req = sdkRequest();
      signRequestV4(req, STS, at(1702784856), OPTS);
      expect(req.headers['x-oss-security-token']).to.equal('token');
      expect(req.headers['authorization']).to.equal(
        'OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea',
      );
    });

    it('V4-H3: header auth with additional headers ["ZAbc", "abc"]', () => {
      const req = sdkRequest();
      signRequestV4(req, AK, at(1702747512), { ...OPTS, additionalHeaders: ['ZAbc', 'abc'] });
      const cr = canonicalRequestV4(req, ['ZAbc', 'abc']);
      expect(cr).to.contain('\nabc:value\ncontent-type:text/plain\n');
      expect(cr).to.contain('\nx-oss-head1:value\nzabc:value\n\nabc;zabc\nUNSIGNED-PAYLOAD');
      expect(req.headers['authorization']).to.equal(
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f',
      );
    });

    it('V4-Q1: presigned URL; canonical query as derived in §2.3; the full Go SDK URL', () => {
      const req = sdkRequest({ 'content-type': 'application/octet-stream' });
      const params = presignV4(req, AK, at(1702781677), 599, OPTS);
      expect(params).to.deep.equal({
        'x-oss-signature-version': 'OSS4-HMAC-SHA256',
        'x-oss-credential': 'ak/20231217/cn-hangzhou/oss/aliyun_v4_request',
        'x-oss-date': '20231217T025437Z',
        'x-oss-expires': '599',
        'x-oss-signature': 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe',
      });
      const { 'x-oss-signature': _sig, ...signedParams } = params;
      expect(canonicalQueryV4({ ...req.query, ...signedParams })).to.equal(
        '%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256',
      );
      expect(canonicalRequestV4({ ...req, query: { ...req.query, ...signedParams } }, [])).to.contain(
        '\ncontent-type:application/octet-stream\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
      );
      expect(goStyleUrl('http://bucket.oss-cn-hangzhou.aliyuncs.com', req.key!, { ...req.query, ...params })).to.equal(
        'http://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-%2F123%2F1.txt?%2Bparam1=value3&%2Bparam2&param1=value1&param2&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature=a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe&x-oss-signature-version=OSS4-HMAC-SHA256&%7Cparam1=value4&%7Cparam2',
      );
      expect(Object.keys(req.query), 'presign must not modify the request').to.have.length(6);
      expect(req.headers).to.not.have.property('authorization');
    });

    it('V4-Q2: presigned URL with an STS token in the query', () => {
      const req = sdkRequest({ 'content-type': 'application/octet-stream' });
      const params = presignV4(req, STS, at(1702785388), 599, OPTS);
      expect(params['x-oss-security-token']).to.equal('token');
      expect(params['x-oss-signature']).to.equal('3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5');
    });

    it('V4-Q3: presigned URL with additional headers abc;zabc', () => {
      const req = sdkRequest({ 'content-type': 'application/octet-stream' });
      const params = presignV4(req, AK, at(1702783809), 599, { ...OPTS, additionalHeaders: ['ZAbc', 'abc'] });
      expect(params['x-oss-additional-headers']).to.equal('abc;zabc');
      expect(params['x-oss-signature']).to.equal('6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7');
    });
  });

  describe('SELF-COMPUTED vectors (protocol §2.4, not from any SDK test)', () => {
    it('V4-U1 (self-computed): UploadPart with Content-MD5; Content-Length is not signed', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'examplebucket',
        key: 'dir/multipart.data',
        query: { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' },
        headers: { 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==', 'content-length': '5' },
      };
      signRequestV4(req, AK, at(1702743657), OPTS);
      const cr = canonicalRequestV4(req, []);
      expect(cr).to.equal(
        'PUT\n/examplebucket/dir/multipart.data\npartNumber=1&uploadId=0004B9895DBBB6EC98E36\ncontent-md5:XUFAKrxLKna5cZ2REBfFkg==\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\n\n\nUNSIGNED-PAYLOAD',
      );
      expect(createHash('sha256').update(cr).digest('hex')).to.equal(
        'd7ac3f97948da934d72cdf8b877c245f796257e0141e3b4e4c7c5229de6810c5',
      );
      expect(req.headers['authorization']).to.equal(
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=d64001c361333f0390f7e252c6eb50eb5d5b5948cd54c7679cc80561c7c49ac8',
      );
    });

    it('V4-U2 (self-computed): AppendObject with STS token and host as additional header', () => {
      const req: SignableRequest = {
        method: 'POST',
        bucket: 'examplebucket',
        key: 'logs/app.log',
        query: { append: null, position: '0' },
        headers: { 'content-type': 'text/plain', host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com' },
      };
      signRequestV4(req, STS, at(1702743657), { ...OPTS, additionalHeaders: ['host'] });
      expect(canonicalRequestV4(req, ['host'])).to.equal(
        'POST\n/examplebucket/logs/app.log\nappend&position=0\ncontent-type:text/plain\nhost:examplebucket.oss-cn-hangzhou.aliyuncs.com\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-security-token:token\n\nhost\nUNSIGNED-PAYLOAD',
      );
      expect(req.headers['authorization']).to.equal(
        'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=059a42c2906b15ac10a67881eec29da4ee100d87883e96903c236461e2435f70',
      );
    });
  });

  describe('uriEncode', () => {
    it('keeps unreserved characters and returns the same string when nothing needs encoding', () => {
      const s = 'AZaz09-_.~';
      expect(uriEncode(s, false)).to.equal(s);
      expect(uriEncode('a/b', true)).to.equal('a/b');
      expect(uriEncode('a/b', false)).to.equal('a%2Fb');
    });

    it("escapes what encodeURIComponent leaves alone (!'()*), spaces, plus and unicode as upper-case UTF-8 %XX", () => {
      expect(uriEncode("a b+c!'()*", false)).to.equal('a%20b%2Bc%21%27%28%29%2A');
      expect(uriEncode('dir/中文 文件+(1).txt', true)).to.equal(
        'dir/%E4%B8%AD%E6%96%87%20%E6%96%87%E4%BB%B6%2B%281%29.txt',
      );
      expect(uriEncode('😀', false)).to.equal('%F0%9F%98%80');
      expect(uriEncode('%2F', true)).to.equal('%252F');
    });

    it('throws OssArgumentError for an unpaired surrogate', () => {
      expect(() => uriEncode('a\uD800b', true)).to.throw(OssArgumentError);
    });

    it('matches a byte-by-byte RFC 3986 oracle and round-trips (property)', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), fc.boolean(), (s, keepSlash) => {
          const enc = uriEncode(s, keepSlash);
          expect(enc).to.equal(oracleEncode(s, keepSlash));
          expect(decodeURIComponent(enc)).to.equal(s);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('rules', () => {
    it('canonical URI: "/" without bucket, "/bucket/" without key, unicode and spaces encoded with "/" kept', () => {
      const base = { method: 'GET', query: {}, headers: {} };
      expect(canonicalRequestV4({ ...base }, []).split('\n')[1]).to.equal('/');
      expect(canonicalRequestV4({ ...base, bucket: 'b' }, []).split('\n')[1]).to.equal('/b/');
      expect(canonicalRequestV4({ ...base, bucket: 'b', key: 'a dir/ключ+1~.txt' }, []).split('\n')[1]).to.equal(
        '/b/a%20dir/%D0%BA%D0%BB%D1%8E%D1%87%2B1~.txt',
      );
    });

    it('canonical query sorts encoded keys in byte order, not localeCompare order', () => {
      const query = { b: '1', a: '2', Z: '3', B: null };
      expect(canonicalQueryV4(query)).to.equal('B&Z=3&a=2&b=1');
      const locale = Object.keys(query).sort((x, y) => x.localeCompare(y));
      expect(locale).to.deep.equal(['a', 'b', 'B', 'Z'], 'localeCompare would order them differently');
    });

    it('canonical query sorts on the key alone ("a" before "a-b" although "-" < "=")', () => {
      expect(canonicalQueryV4({ 'a-b': '1', a: '2' })).to.equal('a=2&a-b=1');
    });

    it('canonical query encodes keys and values (/, space, + and =) and emits bare keys for null and empty', () => {
      expect(canonicalQueryV4({ 'k k': 'a/b c+d=e', uploads: null, x: '' })).to.equal(
        'k%20k=a%2Fb%20c%2Bd%3De&uploads&x',
      );
      expect(canonicalQueryV4({})).to.equal('');
    });

    it('additional headers: lower-cased, trimmed, deduplicated, always-signed and absent ones dropped, sorted', () => {
      const headers = { Host: 'h', range: 'bytes=0-1', 'content-type': 't', 'x-oss-meta-a': '1' };
      expect(
        additionalHeadersV4(
          ['Range', ' host ', 'HOST', 'content-type', 'Content-MD5', 'x-oss-meta-a', 'absent', ''],
          headers,
        ),
      ).to.deep.equal(['host', 'range']);
      expect(additionalHeadersV4(undefined, headers)).to.deep.equal([]);
      expect(additionalHeadersV4(['absent'], headers)).to.deep.equal([]);
    });

    it('signs content-type, content-md5 and every x-oss-* header (trimmed) but not other headers unless listed', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'b',
        key: 'k',
        query: {},
        headers: {
          'Content-Type': ' text/plain ',
          'x-oss-meta-z': ' z',
          'X-OSS-Meta-A': 'a ',
          range: 'r',
          host: 'h',
          'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        },
      };
      expect(canonicalRequestV4(req, ['range'])).to.equal(
        'PUT\n/b/k\n\ncontent-type:text/plain\nrange:r\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-meta-a:a\nx-oss-meta-z:z\n\nrange\nUNSIGNED-PAYLOAD',
      );
    });

    it('payload line: explicit hash, else x-oss-content-sha256, else UNSIGNED-PAYLOAD', () => {
      const req: SignableRequest = { method: 'GET', bucket: 'b', key: 'k', query: {}, headers: {} };
      expect(canonicalRequestV4(req, []).endsWith('\n\n\nUNSIGNED-PAYLOAD')).to.equal(true);
      expect(canonicalRequestV4(req, [], 'abc').endsWith('\n\n\nabc')).to.equal(true);
      req.headers['x-oss-content-sha256'] = 'def';
      expect(canonicalRequestV4(req, []).endsWith('\n\ndef')).to.equal(true);
    });

    it('SigningKeyCacheV4 derives the same key as an independent HMAC chain, per product', () => {
      const cache = new SigningKeyCacheV4(4);
      expect(
        cache
          .get('sk', '20231216', 'cn-hangzhou', 'oss')
          .equals(oracleSigningKey('sk', '20231216', 'cn-hangzhou', 'oss')),
      ).to.equal(true);
      const cloudbox = oracleSigningKey('sk', '20231216', 'cn-hangzhou', 'oss-cloudbox');
      expect(cache.get('sk', '20231216', 'cn-hangzhou', 'oss-cloudbox').equals(cloudbox)).to.equal(true);
    });

    it('SigningKeyCacheV4 is bounded, evicts the least recently used entry and never shows secrets', () => {
      const cache = new SigningKeyCacheV4(2);
      const a = cache.get('secret-A', '20240101', 'r', 'oss');
      cache.get('secret-B', '20240101', 'r', 'oss');
      expect(cache.get('secret-A', '20240101', 'r', 'oss')).to.equal(a, 'cached Buffer reused');
      cache.get('secret-C', '20240101', 'r', 'oss'); // evicts B (A was used more recently)
      expect(cache.size).to.equal(2);
      expect(cache.get('secret-A', '20240101', 'r', 'oss')).to.equal(a);
      expect(
        cache.get('secret-A', '20240102', 'r', 'oss').equals(oracleSigningKey('secret-A', '20240102', 'r', 'oss')),
      ).to.equal(true);
      expect(cache.size).to.equal(2);
      for (const shown of [
        inspect(cache),
        inspect(cache, { showHidden: true, customInspect: false }),
        JSON.stringify(cache),
        String(cache),
      ]) {
        expect(shown).to.not.match(/secret-/);
      }
      expect(inspect(cache)).to.equal('SigningKeyCacheV4 { size: 2, max: 2 }');
      cache.clear();
      expect(cache.size).to.equal(0);
      expect(() => new SigningKeyCacheV4(0)).to.throw(OssArgumentError);
    });

    it('signRequestV4 strips an "oss-" region prefix and honours the product', () => {
      const a = sdkRequest();
      const b = sdkRequest();
      signRequestV4(a, AK, at(1702743657), OPTS);
      signRequestV4(b, AK, at(1702743657), { region: 'oss-cn-hangzhou' });
      expect(b.headers['authorization']).to.equal(a.headers['authorization']);
      expect(standardRegionV4('cn-beijing')).to.equal('cn-beijing');
      expect(() => standardRegionV4('')).to.throw(OssArgumentError);
      const c = sdkRequest();
      signRequestV4(c, AK, at(1702743657), { region: 'cb-123', product: 'oss-cloudbox' });
      expect(c.headers['authorization']).to.match(
        /^OSS4-HMAC-SHA256 Credential=ak\/20231216\/cb-123\/oss-cloudbox\/aliyun_v4_request,Signature=[0-9a-f]{64}$/,
      );
    });

    it('re-signing without a token removes a stale x-oss-security-token; a caller-set payload hash is kept', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'b',
        key: 'k',
        query: {},
        headers: { 'x-oss-content-sha256': 'abc' },
      };
      signRequestV4(req, STS, at(1702743657), OPTS);
      signRequestV4(req, AK, at(1702743657), OPTS);
      expect(req.headers).to.not.have.property('x-oss-security-token');
      expect(req.headers['x-oss-content-sha256']).to.equal('abc');
    });

    it('a header-signed request verifies by recomputing from the parsed Authorization (server view)', () => {
      const req = sdkRequest({ range: 'bytes=0-9' });
      signRequestV4(req, STS, at(1702743657), { ...OPTS, additionalHeaders: ['range', 'abc'] });
      const auth = parseAuthorizationV4(req.headers['authorization']!)!;
      expect(auth.additionalHeaders).to.deep.equal(['abc', 'range']);
      const cr = canonicalRequestV4(req, auth.additionalHeaders);
      const sts = stringToSignV4(req.headers['x-oss-date']!, auth.scope, cr);
      expect(signatureForScopeV4('sk', auth, sts)).to.equal(auth.signature);
      // Any change to a signed header breaks it.
      const tampered = { ...req, headers: { ...req.headers, range: 'bytes=0-10' } };
      const tamperedSts = stringToSignV4(
        req.headers['x-oss-date']!,
        auth.scope,
        canonicalRequestV4(tampered, auth.additionalHeaders),
      );
      expect(signatureForScopeV4('sk', auth, tamperedSts)).to.not.equal(auth.signature);
    });

    it('a presigned URL verifies by recomputing over the received query (server view)', () => {
      const req: SignableRequest = {
        method: 'PUT',
        bucket: 'b',
        key: 'a b/c',
        query: { uploadId: 'u', partNumber: '1' },
        headers: { host: 'b.local' },
      };
      const params = presignV4(req, STS, at(1702743657), 3600, { ...OPTS, additionalHeaders: ['host'] });
      const { 'x-oss-signature': signature, ...rest } = params;
      const cred = parseCredentialV4(rest['x-oss-credential']!)!;
      const cr = canonicalRequestV4(
        { ...req, query: { ...req.query, ...rest } },
        rest['x-oss-additional-headers']!.split(';'),
        'UNSIGNED-PAYLOAD',
      );
      expect(signatureForScopeV4('sk', cred, stringToSignV4(rest['x-oss-date']!, cred.scope, cr))).to.equal(signature);
    });

    it('presignV4 accepts 1..604800 seconds only', () => {
      const req: SignableRequest = { method: 'GET', bucket: 'b', key: 'k', query: {}, headers: {} };
      for (const bad of [0, -1, 604801, 1.5, Number.NaN])
        expect(() => presignV4(req, AK, at(1702743657), bad, OPTS), String(bad)).to.throw(OssArgumentError);
      expect(presignV4(req, AK, at(1702743657), 604800, OPTS)['x-oss-expires']).to.equal('604800');
      expect(presignV4(req, AK, at(1702743657), 1, OPTS)['x-oss-expires']).to.equal('1');
    });

    it('formats dates: basic ISO 8601 and RFC 1123', () => {
      expect(formatIsoBasic(at(1702743657))).to.equal('20231216T162057Z');
      expect(formatIsoBasic(new Date(Date.UTC(2024, 1, 29, 0, 0, 0, 999)))).to.equal('20240229T000000Z');
      expect(formatRfc1123(at(1702743657))).to.equal('Sat, 16 Dec 2023 16:20:57 GMT');
    });
  });
});
