// Bad input: each case is a typed argument error raised before any request reaches the server, with a message that
// says what to fix.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Auth,
  Bucket,
  createAppendStream,
  createPutStream,
  createUploadStream,
  MultipartWritable,
  OssArgumentError,
  OssError,
  StsAuth,
  authFromEnv,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { BUCKET, clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;
const GiB = 1024 ** 3;

describe('reliability: bad input fails before any byte is sent', function () {
  this.timeout(20_000);
  let server: OssServer;
  let bucket: Bucket;

  before(async () => {
    server = await startServer();
    bucket = clientFor(server);
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => server.stats.reset());
  afterEach(function () {
    // the heart of it: nothing reached the server
    if (this.currentTest?.state === 'passed') expect(server.stats.total.requests, 'requests sent').to.equal(0);
  });

  type Case = [name: string, run: () => unknown, message: RegExp, code?: string];
  const cases: Case[] = [
    [
      'bucket name too short',
      () => new Bucket(new Auth('a', 'b'), server.endpoint, 'ab'),
      /bucket name "ab" is invalid/,
      'InvalidBucketName',
    ],
    [
      'bucket name with upper case',
      () => new Bucket(new Auth('a', 'b'), server.endpoint, 'MyBucket'),
      /bucket name/,
      'InvalidBucketName',
    ],
    [
      'bucket name with underscore',
      () => new Bucket(new Auth('a', 'b'), server.endpoint, 'my_bucket'),
      /bucket name/,
      'InvalidBucketName',
    ],
    ['empty key', () => bucket.putObject('', 'x'), /non-empty/, 'InvalidObjectName'],
    [
      '1024-byte key',
      () => bucket.putObject('k'.repeat(1024), 'x'),
      /1024 UTF-8 bytes long; the limit is 1023/,
      'InvalidObjectName',
    ],
    [
      'key with a leading slash',
      () => bucket.putObject('/etc/passwd', 'x'),
      /must not start with '\/'/,
      'InvalidObjectName',
    ],
    ['key with a leading backslash', () => bucket.putObject('\\x', 'x'), /must not start/, 'InvalidObjectName'],
    ['key with a lone surrogate', () => bucket.putObject('bad\uD800.txt', 'x'), /surrogate/, 'InvalidObjectName'],
    [
      'part size under 100 KiB',
      () => createUploadStream(bucket, 'k', { partSize: 99 * KiB }),
      /partSize must be an integer from 102400/,
    ],
    [
      'part size over 5 GiB',
      () => createUploadStream(bucket, 'k', { partSize: 5 * GiB + 1 }),
      /partSize must be an integer/,
    ],
    ['part size NaN', () => new MultipartWritable(bucket, 'k', { partSize: Number.NaN }), /partSize/],
    [
      'more than 10,000 parts for a known size',
      () => createUploadStream(bucket, 'k', { partSize: 100 * KiB, contentLength: 10_001 * 100 * KiB }),
      /10000 parts: use partSize ≥/,
    ],
    ['concurrency 0', () => createUploadStream(bucket, 'k', { concurrency: 0 }), /concurrency/],
    ['negative append position', () => bucket.appendObject('log', -1, 'x'), /append position must be an integer/],
    ['non-integer append position', () => bucket.appendObject('log', 1.5, 'x'), /append position must be an integer/],
    ['append stream with a negative position', () => createAppendStream(bucket, 'log', { position: -3 }), /position/],
    [
      'header name with CR/LF',
      () => bucket.putObject('k', 'x', { headers: { 'x-oss-meta-a\r\nInjected': 'v' } }),
      /header name/,
    ],
    [
      'header value with CR/LF',
      () => bucket.putObject('k', 'x', { headers: { 'x-oss-meta-a': 'v\r\nInjected: 1' } }),
      /CR\/LF/,
    ],
    ['non-ASCII meta name', () => bucket.putObject('k', 'x', { headers: { 'x-oss-meta-naïve': 'v' } }), /header name/],
    ['callback without url', () => bucket.putObject('k', 'x', { callback: { body: 'b' } as never }), /callback\.url/],
    [
      'callback without body',
      () => bucket.putObject('k', 'x', { callback: { url: 'http://127.0.0.1:1/' } as never }),
      /callback\.body/,
    ],
    [
      'callback with a wrong bodyType',
      () =>
        bucket.putObject('k', 'x', {
          callback: { url: 'http://127.0.0.1:1/', body: 'b', bodyType: 'text/xml' as never },
        }),
      /bodyType/,
    ],
    ['callback variable not named x:…', () => bucket.putObject('k', 'x', { callbackVar: { user: 'a' } }), /x:name/],
    [
      'callback variable of an object type',
      () => bucket.putObject('k', 'x', { callbackVar: { 'x:a': {} as never } }),
      /string, number or boolean/,
    ],
    ['missing credentials', () => new Auth('', 'secret'), /accessKeyId must be a non-empty string/],
    ['STS without a token', () => new StsAuth('id', 'secret', ''), /securityToken/],
    ['credentials missing from the environment', () => authFromEnv({}), /OSS_ACCESS_KEY_ID/],
    ['unsupported data type', () => bucket.putObject('k', 42 as never), /unsupported upload data/],
    [
      'contentLength not matching a buffer',
      () => bucket.putObject('k', Buffer.alloc(10), { contentLength: 11 }),
      /contentLength 11 does not match/,
    ],
    [
      'a 6 GiB put (over the 5 GiB limit)',
      () => bucket.putObject('k', Readable.from([]), { contentLength: 6 * GiB }),
      /limit is 5368709120 bytes/,
      'EntityTooLarge',
    ],
    ['part number 0', () => bucket.uploadPart('k', 'id', 0, 'x'), /part number must be an integer from 1 to 10000/],
    ['part number 10,001', () => bucket.uploadPart('k', 'id', 10_001, 'x'), /part number/],
    ['presigned URL expiring in over 7 days', () => bucket.signUrl('GET', 'k', 604_801), /expiresSeconds/],
    ['bad endpoint', () => new Bucket(new Auth('a', 'b'), 'http://exa mple.com', BUCKET), /whitespace/],
  ];

  for (const [name, run, message, code] of cases) {
    it(name, async () => {
      let err: unknown;
      try {
        await run();
      } catch (e) {
        err = e;
      }
      expect(err, 'must throw').to.be.instanceOf(OssArgumentError);
      expect((err as Error).message).to.match(message);
      expect((err as OssError).code).to.equal(code ?? 'InvalidArgument');
      expect((err as OssError).status).to.equal(-1);
    });
  }

  it(`has at least 25 cases (${cases.length})`, () => expect(cases.length).to.be.at.least(25));

  it('object-mode chunks are rejected by every sink', async () => {
    for (const sink of [
      createUploadStream(bucket, 'obj1'),
      createPutStream(bucket, 'obj2'),
      createAppendStream(bucket, 'obj3', { position: 0 }),
    ]) {
      const err = await pipeline(Readable.from([{ not: 'bytes' }]), sink).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssArgumentError);
      expect((err as Error).message).to.match(/bytes and strings only/);
    }
    server.stats.reset(); // the put/append streams may have opened their request or HEAD; no object bytes were sent
  });

  it('writes after end are refused', async () => {
    const sink = createUploadStream(bucket, 'after-end.bin');
    sink.end('abc');
    const err = await new Promise<unknown>((resolve) => sink.write('more', resolve));
    expect((err as { code?: string }).code).to.equal('ERR_STREAM_WRITE_AFTER_END');
    await new Promise((resolve) => sink.on('finish', resolve).on('error', resolve));
    server.stats.reset();
  });
});
