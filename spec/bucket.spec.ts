import { expect } from 'chai';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetch } from 'undici';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Auth,
  Bucket,
  createAppendStream,
  createPutStream,
  createUploadStream,
  FileSlice,
  MultipartWritable,
  OssArgumentError,
  OssError,
  StsAuth,
} from 'oss-stream';
import { eventually } from './support/eventually.js';
import { oracleCrc, pattern, rejection } from './support/bytes.js';
import { BUCKET, CRED, download, STS, useLocalOss } from './support/local-oss.js';
import { contextOf } from '../lib/bucket.js';
import { MAX_BUFFERED_FILE_BODY } from '../lib/config.js';
import { partBuffers } from '../lib/parts/buffer-pool.js';

const KiB = 1024;
const GiB = 1024 ** 3;

describe('Bucket', () => {
  const oss = useLocalOss();

  it('is the facade of every operation, named after its bucket', () => {
    expect(oss.bucket.name).to.equal(BUCKET);
    for (const m of [
      'putObject',
      'putObjectFromFile',
      'appendObject',
      'initMultipartUpload',
      'uploadPart',
      'completeMultipartUpload',
      'abortMultipartUpload',
      'listParts',
      'listMultipartUploads',
      'headObject',
      'getObject',
      'deleteObject',
      'signUrl',
      'close',
    ]) {
      expect(typeof (oss.bucket as unknown as Record<string, unknown>)[m], m).to.equal('function');
    }
  });

  it('keeps its transport private: no context property, and sinks refuse anything but a Bucket (issue 13)', () => {
    const bucket = new Bucket(new Auth('ak', 'sk'), 'http://127.0.0.1:9000', 'my-bucket');
    expect(Object.keys(bucket)).to.deep.equal([]);
    expect('context' in bucket).to.equal(false);
    expect(contextOf(bucket).bucket).to.equal('my-bucket');
    const lookalike = { context: contextOf(bucket), name: 'my-bucket' } as unknown as Bucket;
    const refuses = (fn: () => unknown): void => {
      expect(fn)
        .to.throw(OssArgumentError, /must be a Bucket/)
        .with.property('argument', 'bucket');
    };
    refuses(() => new MultipartWritable(lookalike, 'k'));
    refuses(() => createUploadStream(lookalike, 'k'));
    refuses(() => createPutStream(lookalike, 'k'));
    refuses(() => createAppendStream(lookalike, 'k'));
    refuses(() => contextOf(null as unknown as Bucket));
  });

  it('refuses endpoints that cannot be right when it is constructed, saying the fix (issue 17)', () => {
    const auth = new Auth('ak', 'sk');
    const refuses = (fn: () => unknown, argument: string, re: RegExp): void => {
      expect(fn).to.throw(OssArgumentError, re).with.property('argument', argument);
    };
    refuses(
      () => new Bucket(auth, 'my-bucket.oss-cn-hangzhou.aliyuncs.com', 'my-bucket'),
      'endpoint',
      /pass the endpoint "oss-cn-hangzhou\.aliyuncs\.com"/,
    );
    refuses(() => new Bucket(auth, 'oss-cn-hangzhou', 'my-bucket'), 'endpoint', /use "oss-cn-hangzhou\.aliyuncs\.com"/);
    refuses(
      () => new Bucket(auth, 'oss-cn-hangzhou.aliyuncs.com', 'my-bucket', { region: 'cn-beijing' }),
      'region',
      /contradicts/,
    );
    // What stays valid: the bucket's own domain as a CNAME, custom domains, IPs, localhost, path style.
    expect(
      contextOf(new Bucket(auth, 'my-bucket.oss-cn-hangzhou.aliyuncs.com', 'my-bucket', { cname: true })).endpoint
        .cname,
    ).to.equal(true);
    expect(new Bucket(auth, 'files.example.com', 'my-bucket', { cname: true }).name).to.equal('my-bucket');
    expect(contextOf(new Bucket(auth, 'http://127.0.0.1:9000', 'my-bucket')).endpoint.pathStyle).to.equal(true);
    expect(contextOf(new Bucket(auth, 'localhost:9000', 'my-bucket')).endpoint.pathStyle).to.equal(true);
    expect(
      contextOf(
        new Bucket(auth, 'oss-cn-hangzhou.aliyuncs.com', 'my-bucket', { pathStyle: true, region: 'cn-hangzhou' }),
      ).region,
    ).to.equal('cn-hangzhou');
  });

  describe('putObjectFromFile', () => {
    it('uploads the file with Content-Length, Content-Type from the file name, CRC verified', async () => {
      const file = join(oss.dir, 'page.html');
      const data = pattern(300 * KiB, 1);
      await writeFile(file, data);
      const r = await oss.bucket.putObjectFromFile('remote-page', file);
      expect([r.size, r.crc64]).to.deep.equal([data.length, oracleCrc(data)]);
      const h = await oss.bucket.headObject('remote-page');
      expect(h.contentType).to.equal('text/html; charset=utf-8');
      expect((await download(oss.bucket, 'remote-page')).equals(data)).to.equal(true);
    });

    it('given headers and contentTypeFrom win over the file name', async () => {
      const file = join(oss.dir, 'data.json');
      await writeFile(file, '{}');
      await oss.bucket.putObjectFromFile('a', file, { headers: { 'Content-Type': 'text/x-typed' } });
      await oss.bucket.putObjectFromFile('b', file, { contentTypeFrom: 'x.csv' });
      await oss.bucket.putObjectFromFile('c', file, { contentTypeFrom: undefined });
      const types = await Promise.all(['a', 'b', 'c'].map(async (k) => (await oss.bucket.headObject(k)).contentType));
      expect(types).to.deep.equal(['text/x-typed', 'text/csv; charset=utf-8', 'application/json; charset=utf-8']);
    });

    it('retries resend the file (a reset mid-body, then a 500)', async () => {
      const file = join(oss.dir, 'retry.bin');
      const data = pattern(500 * KiB, 2);
      await writeFile(file, data);
      oss.server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 200 * KiB } });
      oss.server.faults.add({ op: 'PutObject', action: { type: 'error' } });
      const r = await oss.bucket.putObjectFromFile('retry.bin', file);
      expect(r.crc64).to.equal(oracleCrc(data));
      expect(oss.server.stats.op('PutObject').requests).to.equal(3);
      expect((await download(oss.bucket, 'retry.bin')).equals(data)).to.equal(true);
    });

    it('≤ 16 MiB: read into a pool buffer, given back whatever the outcome; above, it streams', async () => {
      const lent0 = partBuffers.lent;
      let most = 0;
      const watch = { onProgress: () => (most = Math.max(most, partBuffers.lent - lent0)) };
      const small = join(oss.dir, 'small.bin');
      const data = pattern(MAX_BUFFERED_FILE_BODY, 4);
      await writeFile(small, data);
      expect((await oss.bucket.putObjectFromFile('small.bin', small, watch)).crc64).to.equal(oracleCrc(data));
      expect(most).to.equal(1);
      expect(partBuffers.lent).to.equal(lent0);
      // An abort mid-body gives the buffer back too.
      const ac = new AbortController();
      const aborted = await rejection(
        oss.bucket.putObjectFromFile('small.bin', small, { signal: ac.signal, onProgress: (n) => n > 0 && ac.abort() }),
      );
      expect(aborted.name).to.equal('AbortError');
      expect(partBuffers.lent).to.equal(lent0);
      const large = join(oss.dir, 'large.bin');
      const more = pattern(MAX_BUFFERED_FILE_BODY + 1, 5);
      await writeFile(large, more);
      most = 0;
      expect((await oss.bucket.putObjectFromFile('large.bin', large, watch)).crc64).to.equal(oracleCrc(more));
      expect(most).to.equal(0);
      expect((await download(oss.bucket, 'large.bin')).equals(more)).to.equal(true);
    });

    it('uploadPart of a FileSlice: its range from a pool buffer; a slice past the end fails unsent', async () => {
      const file = join(oss.dir, 'parts.bin');
      const data = pattern(300 * KiB, 6);
      await writeFile(file, data);
      const lent0 = partBuffers.lent;
      const { uploadId } = await oss.bucket.initMultipartUpload('sliced.bin');
      // The caller's knownCrc64 describes bytes the caller passed; for a slice it is not ours to trust.
      const r = await oss.bucket.uploadPart('sliced.bin', uploadId, 1, new FileSlice(file, 1000, 200 * KiB), {
        knownCrc64: '1',
      });
      expect([r.crc64, r.size]).to.deep.equal([oracleCrc(data.subarray(1000, 1000 + 200 * KiB)), 200 * KiB]);
      const fh = await open(file, 'r');
      try {
        oss.server.stats.reset();
        const e = await rejection(
          oss.bucket.uploadPart('sliced.bin', uploadId, 2, new FileSlice(fh, 200 * KiB, 200 * KiB)),
        );
        expect(e.code).to.equal('FileChanged');
        expect(oss.server.stats.op('UploadPart').requests).to.equal(0);
        // The caller's handle is still open.
        expect((await fh.stat()).size).to.equal(data.length);
      } finally {
        await fh.close();
      }
      expect(partBuffers.lent).to.equal(lent0);
      await oss.bucket.abortMultipartUpload('sliced.bin', uploadId);
    });

    it('a directory, a missing file or a 6 GiB file fail before any request', async () => {
      const d = join(oss.dir, 'a-dir');
      await mkdir(d);
      const e1 = await rejection(oss.bucket.putObjectFromFile('k', d));
      expect([e1.constructor, e1.message]).to.deep.equal([OssArgumentError, `${d} is not a regular file`]);
      const e2 = await rejection(oss.bucket.putObjectFromFile('k', join(oss.dir, 'missing.txt')));
      expect(e2.code).to.equal('ENOENT');
      const big = join(oss.dir, 'six.bin');
      const fh = await open(big, 'w');
      await fh.truncate(6 * GiB);
      await fh.close();
      const e3 = await rejection(oss.bucket.putObjectFromFile('k', big));
      expect([e3.constructor, e3.code]).to.deep.equal([OssArgumentError, 'EntityTooLarge']);
      const e4 = await rejection(oss.bucket.putObjectFromFile('k', ''));
      expect(e4.message).to.equal('path must be a non-empty string');
      const e5 = await rejection(oss.bucket.putObjectFromFile('', d));
      expect(e5).to.be.instanceOf(OssArgumentError);
      expect(oss.server.stats.total.requests).to.equal(0);
    });
  });

  describe('signUrl', () => {
    for (const signatureVersion of ['v1', 'v4'] as const) {
      it(`${signatureVersion}: GET and HEAD URLs read the object with undici fetch`, async () => {
        const b = oss.client({ signatureVersion });
        await b.putObject('signed/read me.txt', 'signed content ✓');
        const url = await b.signUrl('GET', 'signed/read me.txt', 60);
        expect(url.startsWith(`${oss.server.endpoint}/${BUCKET}/signed/read%20me.txt?`)).to.equal(true);
        expect(url).to.include(
          signatureVersion === 'v1' ? 'OSSAccessKeyId=spec-ak' : 'x-oss-signature-version=OSS4-HMAC-SHA256',
        );
        const res = await fetch(url);
        expect([res.status, await res.text()]).to.deep.equal([200, 'signed content ✓']);
        const head = await fetch(await b.signUrl('HEAD', 'signed/read me.txt', 60), { method: 'HEAD' });
        expect([head.status, head.headers.get('content-length')]).to.deep.equal([200, '18']);
      });

      it(`${signatureVersion}: a PUT URL with a signed Content-Type stores the body; another type is refused`, async () => {
        const b = oss.client({ signatureVersion });
        const url = await b.signUrl('PUT', 'signed/upload.txt', 60, { headers: { 'Content-Type': 'text/plain' } });
        const ok = await fetch(url, {
          method: 'PUT',
          body: 'via presigned url',
          headers: { 'content-type': 'text/plain' },
        });
        expect(ok.status).to.equal(200);
        expect(ok.headers.get('x-oss-hash-crc64ecma')).to.equal(oracleCrc('via presigned url'));
        expect((await download(b, 'signed/upload.txt')).toString()).to.equal('via presigned url');
        const refused = await fetch(url, { method: 'PUT', body: 'x', headers: { 'content-type': 'application/json' } });
        expect(refused.status).to.equal(403);
        expect(await refused.text()).to.include('<Code>SignatureDoesNotMatch</Code>');
      });
    }

    it('STS: the security token travels in the URL', async () => {
      const b = oss.client({ auth: new StsAuth(STS.accessKeyId, STS.accessKeySecret, STS.securityToken) });
      await oss.bucket.putObject('sts.txt', 'sts');
      const url = await b.signUrl('GET', 'sts.txt', 60);
      expect(url).to.include(`x-oss-security-token=${STS.securityToken}`);
      expect(await (await fetch(url)).text()).to.equal('sts');
    });

    it('a URL signed with a wrong secret is refused', async () => {
      const url = await oss.client({ auth: new Auth(CRED.accessKeyId, 'wrong') }).signUrl('GET', 'sts.txt', 60);
      expect((await fetch(url)).status).to.equal(403);
    });

    it('bad method, expiry, key, headers or query are argument errors', async () => {
      const b = oss.bucket;
      const cases: Array<[() => Promise<string>, string]> = [
        [() => b.signUrl('PATCH' as 'GET', 'k', 60), 'method must be one of GET, PUT, HEAD, POST, DELETE, got PATCH'],
        [() => b.signUrl('GET', 'k', 0), 'expiresSeconds must be an integer from 1 to 604800 (7 days), got 0'],
        [
          () => b.signUrl('GET', 'k', 604_801),
          'expiresSeconds must be an integer from 1 to 604800 (7 days), got 604801',
        ],
        [() => b.signUrl('GET', 'k', 1.5), 'expiresSeconds must be an integer from 1 to 604800 (7 days), got 1.5'],
        [() => b.signUrl('GET', '', 60), 'object key must be a non-empty string'],
        [
          () => b.signUrl('GET', 'k', 60, { headers: { 'x-oss-meta-a': 'ü' } }),
          'header x-oss-meta-a has a value with CR/LF or non-ASCII characters; encode it (e.g. encodeURIComponent) first',
        ],
        [
          () => b.signUrl('GET', 'k', 60, { query: { a: 1 as unknown as string } }),
          'query must be an object of strings (null for a bare parameter)',
        ],
      ];
      for (const [call, message] of cases) {
        const e = await rejection(call());
        expect(e, message).to.be.instanceOf(OssArgumentError);
        expect(e.message).to.equal(message);
      }
    });
  });

  describe('close() while uploads are in flight (issue 17)', () => {
    const KiB_ = 25 * 1024; // parts of 4 × 25 KiB: the server's smallest part
    const fresh = (): Bucket =>
      new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), oss.server.endpoint, BUCKET, {
        retryBaseDelayMs: 1,
      });
    const openUploads = async (prefix: string): Promise<number> =>
      (await oss.bucket.listMultipartUploads({ prefix })).length;

    for (const [name, make] of [
      ['createUploadStream', (b: Bucket, k: string) => createUploadStream(b, k, { partSize: 4 * KiB_ })],
      ['MultipartWritable', (b: Bucket, k: string) => new MultipartWritable(b, k, { partSize: 4 * KiB_ })],
    ] as const) {
      it(`${name}: aborts the upload (AbortError), sends AbortMultipartUpload before the connections close`, async () => {
        const b = fresh();
        const key = `close/${name}`;
        const sink = make(b, key);
        const source = new PassThrough();
        const piped = pipeline(source, sink).then(
          () => undefined,
          (e: unknown) => e as OssError,
        );
        source.write(pattern(9 * KiB_)); // parts 1 and 2 go up; the source stays open
        await eventually(async () => expect(await openUploads(key)).to.equal(1));
        await b.close();
        // close() resolved after the cleanup: nothing is left open, checked at once.
        expect(await openUploads(key)).to.equal(0);
        const err = await piped;
        expect(err?.name).to.equal('AbortError');
        expect(err?.message).to.match(/client was closed/);
        expect(await rejection(sink.done())).to.have.property('code', 'AbortError');
        expect(
          await oss.bucket.headObject(key).then(
            () => true,
            () => false,
          ),
        ).to.equal(false);
      });
    }

    it('createPutStream and createAppendStream: the request in flight is cancelled, nothing half-written', async () => {
      const b = fresh();
      const put = createPutStream(b, 'close/put');
      put.on('error', () => undefined);
      put.write(pattern(5000));
      const app = createAppendStream(b, 'close/append', { flushIntervalMs: 0 });
      app.on('error', () => undefined);
      await app.flush(); // located (HEAD) before close
      app.write('buffered, never appended');
      await b.close();
      expect(await rejection(put.done())).to.have.property('code', 'AbortError');
      expect(await rejection(app.done())).to.have.property('code', 'AbortError');
      expect(
        await oss.bucket.headObject('close/put').then(
          () => true,
          () => false,
        ),
      ).to.equal(false);
      expect(
        await oss.bucket.headObject('close/append').then(
          () => true,
          () => false,
        ),
      ).to.equal(false);
    });

    it('a sink that already finished is left alone; one that took nothing yet is cancelled quietly (no error event)', async () => {
      const b = fresh();
      const sink = createUploadStream(b, 'close/done', { partSize: 4 * KiB_ });
      await pipeline(Readable.from([pattern(9 * KiB_)]), sink);
      // Idle sinks of each kind, without 'error' listeners: an error event would crash the process.
      const idle = [
        createUploadStream(b, 'close/idle-1'),
        createPutStream(b, 'close/idle-2'),
        createAppendStream(b, 'close/idle-3'),
      ];
      await b.close();
      expect((await sink.done()).size).to.equal(9 * KiB_);
      for (const s of idle) {
        expect(s.destroyed).to.equal(true);
        expect(await rejection(s.done())).to.have.property('code', 'AbortError');
      }
    });
  });

  it('close() is idempotent; a closed client fails fast with RequestError', async () => {
    const b = new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), oss.server.endpoint, BUCKET);
    await b.putObject('before-close.txt', 'x');
    await b.close();
    await b.close();
    const e = await rejection(b.headObject('before-close.txt'));
    expect(e).to.be.instanceOf(OssError);
    expect([e.code, e.status]).to.deep.equal(['RequestError', -1]);
  });
});
