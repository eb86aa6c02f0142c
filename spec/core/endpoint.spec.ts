import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import {
  buildObjectPath,
  buildObjectUrl,
  encodeKeyForPath,
  encodeQuery,
  regionFromHost,
  checkEndpointForBucket,
  requestHost,
  resolveEndpoint,
  type ResolvedEndpoint,
} from '../../lib/core/endpoint.js';
import { OssArgumentError } from '../../lib/errors.js';

const rejects = (fn: () => unknown, re: RegExp, argument = 'endpoint'): void => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as OssArgumentError).argument).to.equal(argument);
    expect((err as Error).message).to.match(re);
    return;
  }
  expect.fail('expected an OssArgumentError');
};

describe('core/endpoint', () => {
  describe('resolveEndpoint', () => {
    const TABLE: Array<[string, Partial<ResolvedEndpoint>]> = [
      [
        'oss-cn-hangzhou.aliyuncs.com',
        { protocol: 'https', host: 'oss-cn-hangzhou.aliyuncs.com', pathStyle: false, region: 'cn-hangzhou' },
      ],
      [
        'https://oss-cn-hangzhou.aliyuncs.com',
        { protocol: 'https', host: 'oss-cn-hangzhou.aliyuncs.com', pathStyle: false, region: 'cn-hangzhou' },
      ],
      [
        'https://oss-cn-hangzhou.aliyuncs.com/',
        { protocol: 'https', host: 'oss-cn-hangzhou.aliyuncs.com', pathStyle: false },
      ],
      [
        'HTTP://OSS-CN-Beijing.Aliyuncs.com',
        { protocol: 'http', host: 'oss-cn-beijing.aliyuncs.com', region: 'cn-beijing' },
      ],
      ['oss-cn-hangzhou.aliyuncs.com:443', { protocol: 'https', host: 'oss-cn-hangzhou.aliyuncs.com' }],
      ['oss-cn-hangzhou.aliyuncs.com:8443', { protocol: 'https', host: 'oss-cn-hangzhou.aliyuncs.com:8443' }],
      ['http://127.0.0.1:9000', { protocol: 'http', host: '127.0.0.1:9000', pathStyle: true, region: undefined }],
      ['127.0.0.1:9000', { protocol: 'http', host: '127.0.0.1:9000', pathStyle: true }],
      ['127.0.0.1:80', { protocol: 'http', host: '127.0.0.1' }],
      ['127.0.0.1:443', { protocol: 'http', host: '127.0.0.1:443' }],
      ['https://127.0.0.1:9000', { protocol: 'https', host: '127.0.0.1:9000', pathStyle: true }],
      ['localhost:9000', { protocol: 'http', host: 'localhost:9000', pathStyle: true }],
      ['minio.localhost:9000', { protocol: 'http', host: 'minio.localhost:9000', pathStyle: true }],
      ['[::1]:9000', { protocol: 'http', host: '[::1]:9000', pathStyle: true }],
      ['http://[::1]:9000', { protocol: 'http', host: '[::1]:9000', pathStyle: true }],
      ['10.0.0.5:9000', { protocol: 'https', host: '10.0.0.5:9000', pathStyle: true }],
      ['[2001:db8::1]', { protocol: 'https', host: '[2001:db8::1]', pathStyle: true }],
      [
        'oss.example.com',
        { protocol: 'https', host: 'oss.example.com', pathStyle: false, cname: false, region: undefined },
      ],
    ];
    for (const [endpoint, expected] of TABLE) {
      it(`resolves ${endpoint}`, () => {
        const r = resolveEndpoint(endpoint);
        for (const [k, v] of Object.entries(expected)) expect(r[k as keyof ResolvedEndpoint], k).to.equal(v);
        expect(Object.isFrozen(r)).to.equal(true);
      });
    }

    it('honours pathStyle and cname options', () => {
      expect(resolveEndpoint('oss-cn-hangzhou.aliyuncs.com', { pathStyle: true }).pathStyle).to.equal(true);
      expect(resolveEndpoint('localhost:9000', { pathStyle: false }).pathStyle).to.equal(false);
      const c = resolveEndpoint('static.example.com', { cname: true });
      expect([c.cname, c.pathStyle]).to.deep.equal([true, false]);
      // A CNAME may point at an IP (a reverse proxy): no bucket anywhere, so that is fine.
      expect(resolveEndpoint('127.0.0.1:9000', { cname: true }).pathStyle).to.equal(false);
    });

    const REGIONS: Array<[string, string | undefined]> = [
      ['oss-cn-hangzhou.aliyuncs.com', 'cn-hangzhou'],
      ['oss-cn-hangzhou-internal.aliyuncs.com', 'cn-hangzhou'],
      ['oss-us-west-1.aliyuncs.com', 'us-west-1'],
      ['oss-ap-southeast-1-internal.aliyuncs.com', 'ap-southeast-1'],
      ['oss-cn-shanghai-finance-1-pub.aliyuncs.com', 'cn-shanghai-finance-1-pub'],
      ['oss-rg-china-mainland.aliyuncs.com', 'rg-china-mainland'],
      ['cn-hangzhou.oss.aliyuncs.com', 'cn-hangzhou'],
      ['examplebucket.oss-cn-hangzhou.aliyuncs.com', 'cn-hangzhou'],
      ['oss-accelerate.aliyuncs.com', undefined],
      ['oss-accelerate-overseas.aliyuncs.com', undefined],
      ['aliyuncs.com', undefined],
      ['oss.example.com', undefined],
      ['oss-cn-hangzhou.aliyuncs.com.evil.com', undefined],
      ['127.0.0.1', undefined],
    ];
    for (const [host, region] of REGIONS) {
      it(`derives region ${String(region)} from ${host}`, () => {
        expect(regionFromHost(host)).to.equal(region);
        expect(resolveEndpoint(host).region).to.equal(region);
      });
    }

    it('takes an explicit region that agrees with the endpoint, or where none is implied; strips a leading oss-', () => {
      expect(resolveEndpoint('oss-cn-hangzhou.aliyuncs.com', { region: 'oss-cn-hangzhou' }).region).to.equal(
        'cn-hangzhou',
      );
      expect(resolveEndpoint('static.example.com', { region: 'cn-beijing', cname: true }).region).to.equal(
        'cn-beijing',
      );
      expect(resolveEndpoint('oss-accelerate.aliyuncs.com', { region: 'oss-cn-shenzhen' }).region).to.equal(
        'cn-shenzhen',
      );
      expect(resolveEndpoint('127.0.0.1:9000', { region: 'cn-hangzhou' }).region).to.equal('cn-hangzhou');
      rejects(
        () => resolveEndpoint('oss-cn-hangzhou.aliyuncs.com', { region: 'CN Hangzhou' }),
        /region "CN Hangzhou" is invalid/,
        'region',
      );
      rejects(() => resolveEndpoint('oss-cn-hangzhou.aliyuncs.com', { region: '' }), /region "" is invalid/, 'region');
    });

    it('refuses a region that contradicts the endpoint, saying both and the fix (issue 17)', () => {
      rejects(
        () => resolveEndpoint('oss-cn-hangzhou.aliyuncs.com', { region: 'cn-beijing' }),
        /region "cn-beijing" contradicts the endpoint oss-cn-hangzhou\.aliyuncs\.com, which is in region "cn-hangzhou": omit region .* or use the endpoint oss-cn-beijing\.aliyuncs\.com/,
        'region',
      );
      rejects(
        () => resolveEndpoint('cn-shanghai.oss.aliyuncs.com', { region: 'oss-cn-hangzhou' }),
        /contradicts/,
        'region',
      );
      rejects(
        () => resolveEndpoint('oss-cn-hangzhou-internal.aliyuncs.com', { region: 'cn-shenzhen' }),
        /contradicts/,
        'region',
      );
    });

    it('refuses a region id given as the endpoint, naming the endpoint to use (issue 17)', () => {
      rejects(
        () => resolveEndpoint('oss-cn-hangzhou'),
        /"oss-cn-hangzhou" is a region, not a host: use "oss-cn-hangzhou\.aliyuncs\.com"/,
      );
      rejects(() => resolveEndpoint('cn-hangzhou'), /use "oss-cn-hangzhou\.aliyuncs\.com"/);
      rejects(() => resolveEndpoint('oss-us-west-1'), /use "oss-us-west-1\.aliyuncs\.com"/);
      // One-label hosts that are meant as hosts still work: a port, a scheme, localhost, or no region shape.
      expect(resolveEndpoint('http://oss-cn-hangzhou:9000').host).to.equal('oss-cn-hangzhou:9000');
      expect(resolveEndpoint('oss-server:9000').host).to.equal('oss-server:9000');
      expect(resolveEndpoint('minio').host).to.equal('minio');
      expect(resolveEndpoint('localhost').pathStyle).to.equal(true);
    });

    it('refuses an endpoint that already names the bucket; custom domains, IPs and path style still work (issue 17)', () => {
      const ep = resolveEndpoint('my-bucket.oss-cn-hangzhou.aliyuncs.com');
      rejects(
        () => checkEndpointForBucket(ep, 'my-bucket'),
        /endpoint my-bucket\.oss-cn-hangzhou\.aliyuncs\.com already contains the bucket "my-bucket" .*pass the endpoint "oss-cn-hangzhou\.aliyuncs\.com" and the bucket separately/,
      );
      rejects(
        () => checkEndpointForBucket(resolveEndpoint('https://my-bucket.cn-hangzhou.oss.aliyuncs.com'), 'my-bucket'),
        /already contains/,
      );
      // Another bucket's name, a bucket-bound custom domain (cname), path style, a custom domain, an IP: all fine.
      checkEndpointForBucket(ep, 'other-bucket');
      checkEndpointForBucket(resolveEndpoint('my-bucket.oss-cn-hangzhou.aliyuncs.com', { cname: true }), 'my-bucket');
      checkEndpointForBucket(
        resolveEndpoint('my-bucket.oss-cn-hangzhou.aliyuncs.com', { pathStyle: true }),
        'my-bucket',
      );
      checkEndpointForBucket(resolveEndpoint('my-bucket.example.com'), 'my-bucket');
      checkEndpointForBucket(resolveEndpoint('http://127.0.0.1:9000'), 'my-bucket');
      checkEndpointForBucket(resolveEndpoint('localhost:9000'), 'my-bucket');
    });

    it('says what is wrong with a bad endpoint', () => {
      rejects(() => resolveEndpoint(''), /non-empty string/);
      rejects(() => resolveEndpoint(undefined as unknown as string), /non-empty string/);
      rejects(() => resolveEndpoint(' oss-cn-hangzhou.aliyuncs.com'), /must not contain whitespace/);
      rejects(() => resolveEndpoint('ftp://oss-cn-hangzhou.aliyuncs.com'), /protocol "ftp"; use http or https/);
      rejects(() => resolveEndpoint('://oss-cn-hangzhou.aliyuncs.com'), /malformed protocol/);
      rejects(
        () => resolveEndpoint('https://oss-cn-hangzhou.aliyuncs.com/bucket'),
        /without a path, query or fragment/,
      );
      rejects(() => resolveEndpoint('oss-cn-hangzhou.aliyuncs.com?x=1'), /without a path, query or fragment/);
      rejects(() => resolveEndpoint('oss-cn-hangzhou.aliyuncs.com#frag'), /without a path, query or fragment/);
      rejects(() => resolveEndpoint('https://user:pw@oss-cn-hangzhou.aliyuncs.com'), /must not contain credentials/);
      rejects(() => resolveEndpoint('localhost:99999'), /not a valid host\[:port\]/);
      rejects(() => resolveEndpoint('[::1'), /not a valid host\[:port\]/);
      rejects(
        () => resolveEndpoint('127.0.0.1:9000', { pathStyle: false }),
        /127\.0\.0\.1 is an IP address/,
        'pathStyle',
      );
      rejects(
        () => resolveEndpoint('a.example.com', { cname: true, pathStyle: true }),
        /cannot both be set/,
        'pathStyle',
      );
    });
  });

  describe('encoding', () => {
    const KEYS: Array<[string, string]> = [
      ['plain.txt', 'plain.txt'],
      ['dir/sub/file.txt', 'dir/sub/file.txt'],
      ['a b', 'a%20b'],
      ['a+b', 'a%2Bb'],
      ['100%', '100%25'],
      ['what?', 'what%3F'],
      ['#hash', '%23hash'],
      ['tilde~-_.', 'tilde~-_.'],
      ["!'()*", '%21%27%28%29%2A'],
      ['a/b c+d?#%.txt', 'a/b%20c%2Bd%3F%23%25.txt'],
      ['dir/a b+c.txt', 'dir/a%20b%2Bc.txt'], // protocol V1-U5
      ['key+123', 'key%2B123'], // protocol V1-Q2
      ['中文.txt', '%E4%B8%AD%E6%96%87.txt'],
      ['😀', '%F0%9F%98%80'],
      ['é', '%C3%A9'],
      ['a&b=c;d,e:f@g$h', 'a%26b%3Dc%3Bd%2Ce%3Af%40g%24h'],
      ['../x/./y', '../x/./y'],
      ['tab\tnl\n', 'tab%09nl%0A'],
      ['a//b/', 'a//b/'],
    ];
    for (const [key, encoded] of KEYS) {
      it(`encodes key ${JSON.stringify(key)} as ${encoded}`, () => {
        expect(encodeKeyForPath(key)).to.equal(encoded);
        expect(decodeURIComponent(encoded)).to.equal(key);
      });
    }

    it('rejects keys and query values with lone surrogates', () => {
      rejects(() => encodeKeyForPath('bad\uD800'), /unpaired UTF-16 surrogate/, 'key');
      rejects(() => encodeQuery({ prefix: '\uDC00' }), /unpaired UTF-16 surrogate/, 'query');
    });

    it('encodes the query in the order given, bare keys for null and empty values, "/" as %2F', () => {
      expect(encodeQuery({})).to.equal('');
      expect(encodeQuery({ uploads: null })).to.equal('?uploads');
      expect(encodeQuery({ uploadId: '0004B98/+= x', partNumber: '1' })).to.equal(
        '?uploadId=0004B98%2F%2B%3D%20x&partNumber=1',
      );
      expect(encodeQuery({ append: '', position: '0' })).to.equal('?append&position=0');
      expect(encodeQuery({ z: 'last', a: 'first', 'x-oss-process': 'image/resize,w_100' })).to.equal(
        '?z=last&a=first&x-oss-process=image%2Fresize%2Cw_100',
      );
      expect(encodeQuery({ prefix: '中 ~#?&=' })).to.equal('?prefix=%E4%B8%AD%20~%23%3F%26%3D');
      expect(encodeQuery({ skipped: undefined, kept: 'v' })).to.equal('?kept=v');
    });
  });

  describe('buildObjectUrl', () => {
    const virtual = resolveEndpoint('oss-cn-hangzhou.aliyuncs.com');
    const path = resolveEndpoint('http://127.0.0.1:9000');
    const cname = resolveEndpoint('https://static.example.com', { cname: true });

    it('builds virtual-hosted, path-style and CNAME URLs', () => {
      expect(buildObjectUrl(virtual, 'examplebucket', 'dir/a b+c.txt', {})).to.equal(
        'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc.txt',
      );
      expect(buildObjectUrl(path, 'examplebucket', 'dir/a b+c.txt', {})).to.equal(
        'http://127.0.0.1:9000/examplebucket/dir/a%20b%2Bc.txt',
      );
      expect(buildObjectUrl(cname, 'examplebucket', 'dir/a b+c.txt', {})).to.equal(
        'https://static.example.com/dir/a%20b%2Bc.txt',
      );
    });

    it('builds bucket-level and service-level URLs', () => {
      expect(buildObjectUrl(virtual, 'examplebucket', undefined, { uploads: null, prefix: 'a/' })).to.equal(
        'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?uploads&prefix=a%2F',
      );
      expect(buildObjectUrl(path, 'examplebucket', undefined, { uploads: null })).to.equal(
        'http://127.0.0.1:9000/examplebucket/?uploads',
      );
      expect(buildObjectUrl(virtual, undefined, undefined, {})).to.equal('https://oss-cn-hangzhou.aliyuncs.com/');
      expect(buildObjectUrl(path, undefined, undefined, {})).to.equal('http://127.0.0.1:9000/');
    });

    it('adds the query in order and exposes host and path separately', () => {
      expect(
        buildObjectUrl(virtual, 'b-1', 'multipart.data', { partNumber: '1', uploadId: '0004B9895DBBB6EC98E36' }),
      ).to.equal('https://b-1.oss-cn-hangzhou.aliyuncs.com/multipart.data?partNumber=1&uploadId=0004B9895DBBB6EC98E36');
      expect(requestHost(virtual, 'b-1')).to.equal('b-1.oss-cn-hangzhou.aliyuncs.com');
      expect(requestHost(path, 'b-1')).to.equal('127.0.0.1:9000');
      expect(requestHost(cname, 'b-1')).to.equal('static.example.com');
      expect(buildObjectPath(path, 'b-1', 'k?', { append: null, position: '0' })).to.equal(
        '/b-1/k%3F?append&position=0',
      );
    });
  });

  describe('keys arrive intact at a real server', () => {
    let server: Server;
    let seen: string[] = [];
    before(async () => {
      server = createServer((req, res) => {
        seen.push(req.url ?? '');
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    // Through Dispatcher.request, as core/http does: undici's top-level request() and WHATWG URL would collapse
    // the '.'/'..' segments, which are legal in keys.
    it('decodes back to exactly the key and query sent', async () => {
      const { port } = server.address() as AddressInfo;
      const agent = new Agent();
      const ep = resolveEndpoint(`127.0.0.1:${port}`);
      const keys = ['a/b c+d?#%.txt', "中文/😀 ~!*'().txt", '../dots/./x', 'a//b', '%2F%20', 'x'];
      seen = [];
      for (const key of keys) {
        const url = buildObjectUrl(ep, 'bucket', key, { prefix: key, uploads: null });
        const origin = `${ep.protocol}://${requestHost(ep, 'bucket')}`;
        const res = await agent.request({ origin, path: url.slice(origin.length), method: 'GET' });
        await res.body.dump();
      }
      await agent.close();
      const got = seen.map((raw) => {
        const q = raw.indexOf('?');
        const pathPart = raw.slice(0, q);
        const params = raw
          .slice(q + 1)
          .split('&')
          .map((p) => p.split('=').map(decodeURIComponent));
        return { key: decodeURIComponent(pathPart.slice('/bucket/'.length)), params };
      });
      expect(got).to.deep.equal(keys.map((key) => ({ key, params: [['prefix', key], ['uploads']] })));
    });
  });
});
