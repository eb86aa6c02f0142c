import { expect } from 'chai';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  Auth,
  Bucket,
  FileSlice,
  OssAbortError,
  OssArgumentError,
  OssCallbackError,
  OssIntegrityError,
  OssServiceError,
  type PutObjectResult,
  type UploadData,
} from 'oss-stream';
import { chunked, md5Etag, oracleCrc, pattern, recorder, rejection } from '../support/bytes.js';
import { startCallbackServer } from '../support/callback-receiver.js';
import { download, useLocalOss } from '../support/local-oss.js';

const KiB = 1024;
const GiB = 1024 ** 3;

describe('api/put-object', () => {
  const oss = useLocalOss();

  async function expectStored(key: string, data: Buffer, r: PutObjectResult): Promise<void> {
    expect(r.status).to.equal(200);
    expect(r.requestId).to.match(/^[0-9A-F]{24}$/);
    expect(r.etag).to.equal(md5Etag(data));
    expect(r.crc64).to.equal(oracleCrc(data));
    expect(r.size).to.equal(data.length);
    expect((await download(oss.bucket, key)).equals(data), `${key} read back`).to.equal(true);
  }

  describe('every data source is stored byte-exact', () => {
    const data = pattern(300 * KiB + 5, 1);
    let file: string;
    before(async () => {
      file = join(oss.dir, 'source.bin');
      await writeFile(file, data);
    });

    const cases: Array<[string, () => UploadData, Buffer?]> = [
      ['Buffer', () => Buffer.from(data)],
      [
        'Uint8Array view with an offset',
        () => new Uint8Array(Buffer.concat([Buffer.alloc(3), data]).buffer, 3, data.length),
      ],
      ['fs.ReadStream', () => createReadStream(file)],
      ['FileSlice', () => new FileSlice(file, 0, data.length)],
      ['byte Readable', () => Readable.from(chunked(data), { objectMode: false })],
      ['Readable.from (object mode, Buffers)', () => Readable.from(chunked(data))],
      ['sync iterable', () => chunked(data)],
      [
        'async iterable',
        () =>
          (async function* () {
            for (const c of chunked(data)) yield c;
          })(),
      ],
      [
        'Web ReadableStream',
        () =>
          new ReadableStream<Uint8Array>({
            start(c) {
              for (const x of chunked(data)) c.enqueue(x);
              c.close();
            },
          }),
      ],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const key = `sources/${name}.bin`;
        await expectStored(key, data, await oss.bucket.putObject(key, make()));
      });
    }

    it('strings are sent as UTF-8 (ASCII and unicode alike)', async () => {
      for (const text of ['content of object', 'content of object — 对象内容 ✓ 😀']) {
        await expectStored('remote.txt', Buffer.from(text, 'utf8'), await oss.bucket.putObject('remote.txt', text));
      }
    });

    it('a FileSlice from the middle of a file stores only that range', async () => {
      await expectStored(
        'slice.bin',
        data.subarray(1000, 101_000),
        await oss.bucket.putObject('slice.bin', new FileSlice(file, 1000, 100_000)),
      );
    });

    it('0 bytes from every kind of source make an empty object with CRC 0', async () => {
      const empty = join(oss.dir, 'empty.bin');
      await writeFile(empty, '');
      const sources: UploadData[] = [
        '',
        Buffer.alloc(0),
        [],
        Readable.from([]),
        (async function* () {})(),
        new FileSlice(empty, 0, 0),
        createReadStream(empty),
        new ReadableStream({
          start(c) {
            c.close();
          },
        }),
      ];
      for (const [i, s] of sources.entries()) {
        const r = await oss.bucket.putObject(`empty/${i}`, s);
        expect([r.size, r.crc64, r.etag]).to.deep.equal([0, '0', '"D41D8CD98F00B204E9800998ECF8427E"']);
        expect((await oss.bucket.headObject(`empty/${i}`)).size).to.equal(0);
      }
    });
  });

  describe('on the wire (a plain node:http server records what arrives)', () => {
    let wire: Server;
    let seen: Array<{ headers: IncomingHttpHeaders; bytes: number }>;
    let client: Bucket;
    before(async () => {
      seen = [];
      wire = createServer((req, res) => {
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => {
          seen.push({ headers: req.headers, bytes });
          res.writeHead(200, { etag: '"X"', 'x-oss-request-id': 'WIRE' }).end();
        });
      });
      await new Promise<void>((resolve) => wire.listen(0, '127.0.0.1', resolve));
      client = new Bucket(
        new Auth('ak', 'sk'),
        `http://127.0.0.1:${(wire.address() as AddressInfo).port}`,
        'wire-bucket',
      );
    });
    after(async () => {
      await client.close();
      await new Promise<void>((resolve) => wire.close(() => resolve()));
    });

    it('known lengths go as Content-Length, streams and iterables as chunked, declared lengths as Content-Length', async () => {
      const file = join(oss.dir, 'wire.bin');
      await writeFile(file, pattern(5000));
      const framing = async (
        data: UploadData,
        contentLength?: number,
      ): Promise<[string | undefined, string | undefined, number]> => {
        seen.length = 0;
        await client.putObject('k', data, contentLength === undefined ? {} : { contentLength });
        const h = seen[0]!.headers;
        return [h['content-length'], h['transfer-encoding'], seen[0]!.bytes];
      };
      expect(await framing('héllo')).to.deep.equal(['6', undefined, 6]);
      expect(await framing(pattern(70_000))).to.deep.equal(['70000', undefined, 70_000]);
      expect(await framing(createReadStream(file))).to.deep.equal(['5000', undefined, 5000]);
      expect(await framing(new FileSlice(file, 100, 200))).to.deep.equal(['200', undefined, 200]);
      expect(await framing(Readable.from(['ab', 'cd']))).to.deep.equal([undefined, 'chunked', 4]);
      expect(await framing(['ab', Buffer.from('cd')])).to.deep.equal([undefined, 'chunked', 4]);
      expect(
        await framing(
          (async function* () {
            yield 'abc';
          })(),
        ),
      ).to.deep.equal([undefined, 'chunked', 3]);
      expect(
        await framing(
          new ReadableStream({
            start(c) {
              c.enqueue(new Uint8Array([1, 2]));
              c.close();
            },
          }),
        ),
      ).to.deep.equal([undefined, 'chunked', 2]);
      expect(await framing(Readable.from(['ab', 'cd']), 4)).to.deep.equal(['4', undefined, 4]);
      expect(await framing(Readable.from([]))).to.deep.equal(['0', undefined, 0]);
      expect(await framing('')).to.deep.equal(['0', undefined, 0]);
    });

    it('a server that sends no CRC64 header is tolerated: the result carries the client CRC', async () => {
      const r = await client.putObject('k', 'abc');
      expect([r.crc64, r.etag, r.requestId]).to.deep.equal([oracleCrc('abc'), '"X"', 'WIRE']);
    });
  });

  describe('Content-Type and headers', () => {
    it('Content-Type is guessed from the key, an explicit one wins, unknown is octet-stream', async () => {
      const cases: Array<[string, Record<string, string> | undefined, string]> = [
        ['a.json', undefined, 'application/json; charset=utf-8'],
        ['notes.txt', undefined, 'text/plain; charset=utf-8'],
        ['photo.JPG', undefined, 'image/jpeg'],
        ['no-extension', undefined, 'application/octet-stream'],
        ['b.json', { 'Content-Type': 'application/json' }, 'application/json'],
        ['x.txt', { 'content-type': 'text/csv' }, 'text/csv'],
      ];
      for (const [key, headers, type] of cases) {
        await oss.bucket.putObject(key, '{"age": 1}', { headers });
        expect((await oss.bucket.headObject(key)).contentType, key).to.equal(type);
      }
    });

    it('x-oss-meta-* and standard headers are stored', async () => {
      await oss.bucket.putObject('story.txt', 'a novel', {
        headers: {
          'x-oss-meta-author': 'O. Henry',
          'Cache-Control': 'no-cache',
          'Content-Disposition': 'attachment; filename="story.txt"',
        },
      });
      const h = await oss.bucket.headObject('story.txt');
      expect(h.meta).to.deep.equal({ author: 'O. Henry' });
      expect(h.headers['cache-control']).to.equal('no-cache');
      expect(h.headers['content-disposition']).to.equal('attachment; filename="story.txt"');
    });
  });

  describe('progress', () => {
    it('bytes: monotonic, byte-accurate, total known, (total, total) exactly once at the end', async () => {
      const data = pattern(1024 * KiB + 3);
      const p = recorder();
      await oss.bucket.putObject('progress.bin', data, { onProgress: p.cb });
      expect(p.calls.length).to.be.greaterThan(10);
      expect(p.calls.every(([, t]) => t === data.length)).to.equal(true);
      for (let i = 1; i < p.calls.length; i++) expect(p.calls[i]![0]).to.be.greaterThan(p.calls[i - 1]![0]);
      expect(p.calls.slice(0, -1).every(([n]) => n < data.length && n % (64 * KiB) === 0)).to.equal(true);
      expect(p.calls.at(-1)).to.deep.equal([data.length, data.length]);
    });

    it('an unknown-length stream reports total null, ending at the byte count', async () => {
      const data = pattern(200 * KiB);
      const p = recorder();
      await oss.bucket.putObject('progress-stream.bin', Readable.from(chunked(data, [50 * KiB])), { onProgress: p.cb });
      expect(p.calls).to.deep.equal([
        [51_200, null],
        [102_400, null],
        [153_600, null],
        [204_800, null],
      ]);
    });

    it('reaches total only once the server has answered (the answer is held 300 ms)', async () => {
      oss.server.faults.add({ op: 'PutObject', action: { type: 'delay', ms: 300 } });
      const data = pattern(256 * KiB);
      const times: Array<[number, number]> = [];
      const start = Date.now();
      await oss.bucket.putObject('held.bin', data, { onProgress: (n) => times.push([n, Date.now() - start]) });
      const [lastN, lastT] = times.at(-1)!;
      const [prevN, prevT] = times.at(-2)!;
      expect([lastN, prevN]).to.deep.equal([data.length, data.length - 64 * KiB]);
      expect(lastT - prevT).to.be.at.least(250);
    });

    it('a retried upload never goes backwards and never counts a byte twice', async () => {
      const file = join(oss.dir, 'retry-progress.bin');
      const data = pattern(600 * KiB, 9);
      await writeFile(file, data);
      oss.server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 300 * KiB } });
      const p = recorder();
      await expectStored(
        'retry-progress.bin',
        data,
        await oss.bucket.putObject('retry-progress.bin', new FileSlice(file, 0, data.length), { onProgress: p.cb }),
      );
      expect(oss.server.stats.op('PutObject').requests).to.equal(2);
      for (let i = 1; i < p.calls.length; i++) expect(p.calls[i]![0]).to.be.greaterThan(p.calls[i - 1]![0]);
      expect(p.calls.filter(([n]) => n === data.length)).to.have.length(1);
      expect(p.calls.at(-1)).to.deep.equal([data.length, data.length]);
    });

    it('0 bytes report (0, 0) once', async () => {
      const p = recorder();
      await oss.bucket.putObject('zero', Buffer.alloc(0), { onProgress: p.cb });
      expect(p.calls).to.deep.equal([[0, 0]]);
    });
  });

  describe('retries', () => {
    it('bytes are resent after a 500 and the object is stored once', async () => {
      oss.server.faults.add({ op: 'PutObject', action: { type: 'error' } });
      const data = pattern(100 * KiB, 2);
      await expectStored('retry-bytes.bin', data, await oss.bucket.putObject('retry-bytes.bin', data));
      expect(oss.server.stats.op('PutObject')).to.include({ requests: 2, errors: 1 });
    });

    it('a FileSlice is resent after a 500 and after a connection reset mid-body', async () => {
      const file = join(oss.dir, 'retry-slice.bin');
      const data = pattern(400 * KiB, 3);
      await writeFile(file, data);
      oss.server.faults.add({ op: 'PutObject', action: { type: 'error' } });
      oss.server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 128 * KiB } });
      await expectStored(
        'retry-slice.bin',
        data.subarray(7),
        await oss.bucket.putObject('retry-slice.bin', new FileSlice(file, 7, data.length - 7)),
      );
      expect(oss.server.stats.op('PutObject').requests).to.equal(3);
    });

    it('a stream body is NOT retried: the first 500 is the answer, and the stream is released', async () => {
      oss.server.faults.add({ op: 'PutObject', action: { type: 'error' } });
      const stream = Readable.from(chunked(pattern(300 * KiB)));
      const e = await rejection(oss.bucket.putObject('retry-stream.bin', stream));
      expect(e).to.be.instanceOf(OssServiceError);
      expect([e.code, e.status]).to.deep.equal(['InternalError', 500]);
      expect(oss.server.stats.op('PutObject').requests).to.equal(1);
      expect(stream.destroyed).to.equal(true);
      expect((await rejection(oss.bucket.headObject('retry-stream.bin'))).code).to.equal('NoSuchKey');
    });

    it('a 4xx is not retried', async () => {
      const wrong = oss.client({ auth: new Auth('spec-ak', 'wrong-secret') });
      const e = await rejection(wrong.putObject('denied.txt', 'x'));
      expect([e.constructor, e.code, e.status]).to.deep.equal([OssServiceError, 'SignatureDoesNotMatch', 403]);
      expect(oss.server.stats.op('PutObject').requests).to.equal(1);
    });
  });

  describe('integrity', () => {
    it('a CRC64 the server reports that differs from what was sent is an OssIntegrityError', async () => {
      oss.server.faults.add({ op: 'PutObject', action: { type: 'corrupt-crc64' } });
      const data = pattern(10 * KiB, 4);
      const e = await rejection(oss.bucket.putObject('corrupt.bin', data));
      expect(e).to.be.instanceOf(OssIntegrityError);
      expect(e.code).to.equal('InconsistentCrc64');
      expect(e.expected).to.equal(oracleCrc(data));
      expect(e.actual).to.equal((BigInt(oracleCrc(data)) ^ 1n).toString());
      expect(e.requestId).to.match(/^[0-9A-F]{24}$/);
      expect(e.message).to.equal(
        `PutObject corrupt.bin: CRC64 mismatch, the client computed ${e.expected} but the server reports ${e.actual}`,
      );
      // the client stays usable: the connection was released
      expect((await oss.bucket.putObject('after-corrupt.txt', 'ok')).status).to.equal(200);
    });
  });

  describe('upload callback', () => {
    let cb: Awaited<ReturnType<typeof startCallbackServer>>;
    before(async () => {
      cb = await startCallbackServer();
    });
    after(() => cb.close());

    it('the callback option: OSS posts the body with variables, the answer is callbackBody', async () => {
      const r = await oss.bucket.putObject('story.txt', 'a'.repeat(1024 * 1024), {
        callback: {
          url: `${cb.url}/ok`,
          body: 'filename=${object}&size=${size}&mimeType=${mimeType}&who=${x:who}',
          host: 'oss-cn-hangzhou.aliyuncs.com',
        },
        callbackVar: { 'x:who': 'spec' },
      });
      const sent = 'filename=story.txt&size=1048576&mimeType=text%2Fplain%3B%20charset%3Dutf-8&who=spec';
      expect(cb.hits.at(-1)).to.deep.include({ path: '/ok', body: sent });
      expect(cb.hits.at(-1)!.headers.host).to.equal('oss-cn-hangzhou.aliyuncs.com');
      expect(JSON.parse(r.callbackBody!)).to.deep.equal({ received: sent });
      expect([r.status, r.size, r.crc64]).to.deep.equal([200, 1024 * 1024, oracleCrc('a'.repeat(1024 * 1024))]);
    });

    it('a raw x-oss-callback header (base64 JSON, as in the guide) works too', async () => {
      const json = {
        callbackUrl: `${cb.url}/ok`,
        callbackBody: 'bucket=${bucket}&object=${object}',
        callbackBodyType: 'application/x-www-form-urlencoded',
      };
      const r = await oss.bucket.putObject('raw.txt', 'x', {
        headers: { 'x-oss-callback': Buffer.from(JSON.stringify(json)).toString('base64') },
      });
      expect(JSON.parse(r.callbackBody!)).to.deep.equal({ received: 'bucket=spec-bucket&object=raw.txt' });
    });

    it('a failed callback (203) is an OssCallbackError that carries the result, and the object IS stored', async () => {
      const p = recorder();
      const e = await rejection(
        oss.bucket.putObject('stored-anyway.txt', 'precious', {
          callback: { url: `${cb.url}/fail`, body: 'k=${object}' },
          onProgress: p.cb,
        }),
      );
      expect(e).to.be.instanceOf(OssCallbackError);
      expect([e.code, e.status]).to.deep.equal(['CallbackFailed', 203]);
      const result = (e as unknown as OssCallbackError<PutObjectResult>).result;
      expect([result.status, result.etag, result.crc64, result.size]).to.deep.equal([
        203,
        md5Etag('precious'),
        oracleCrc('precious'),
        8,
      ]);
      expect(e.requestId).to.equal(result.requestId);
      expect(e.message).to.match(
        /^PutObject: the object is stored, but its upload callback failed: Error status : 500\. \(code CallbackFailed, request id [0-9A-F]{24}\)$/,
      );
      expect((await download(oss.bucket, 'stored-anyway.txt')).toString()).to.equal('precious');
      expect(p.calls.at(-1)).to.deep.equal([8, 8]);
    });
  });

  describe('abort', () => {
    it('an AbortSignal stops a stream upload mid-way: OssAbortError, nothing stored', async () => {
      const ac = new AbortController();
      const source = (async function* () {
        yield pattern(64 * KiB);
        ac.abort();
        yield pattern(64 * KiB); // had the abort been ignored, the upload would now complete and store it
      })();
      const e = await rejection(oss.bucket.putObject('aborted.bin', source, { signal: ac.signal }));
      expect(e).to.be.instanceOf(OssAbortError);
      expect(e.name).to.equal('AbortError');
      expect((await rejection(oss.bucket.headObject('aborted.bin'))).code).to.equal('NoSuchKey');
    });
  });

  describe('validation before any byte is sent', () => {
    const bad: Array<[string, () => Promise<unknown>, string, string]> = [
      ['empty key', () => oss.bucket.putObject('', 'x'), 'key', 'object key must be a non-empty string'],
      [
        'key starting with /',
        () => oss.bucket.putObject('/abs', 'x'),
        'key',
        `object key "/abs" must not start with '/' or '\\'`,
      ],
      [
        'key with a lone surrogate',
        () => oss.bucket.putObject('a\uD800b', 'x'),
        'key',
        'object key contains an unpaired UTF-16 surrogate and cannot be encoded as UTF-8',
      ],
      [
        'key over 1023 bytes',
        () => oss.bucket.putObject('é'.repeat(512), 'x'),
        'key',
        'object key is 1024 UTF-8 bytes long; the limit is 1023',
      ],
      [
        'header name with a space',
        () => oss.bucket.putObject('k', 'x', { headers: { 'x-oss-meta-a b': '1' } }),
        'headers["x-oss-meta-a b"]',
        'header name "x-oss-meta-a b" is invalid: use ASCII letters, digits and - only',
      ],
      [
        'header value with CR/LF',
        () => oss.bucket.putObject('k', 'x', { headers: { 'x-oss-meta-a': 'x\r\ny: z' } }),
        'headers["x-oss-meta-a"]',
        'header x-oss-meta-a has a value with CR/LF or non-ASCII characters; encode it (e.g. encodeURIComponent) first',
      ],
      [
        'non-ASCII metadata value',
        () => oss.bucket.putObject('k', 'x', { headers: { 'x-oss-meta-author': 'Ō. Henry' } }),
        'headers["x-oss-meta-author"]',
        'header x-oss-meta-author has a value with CR/LF or non-ASCII characters; encode it (e.g. encodeURIComponent) first',
      ],
      [
        'a Content-Length header',
        () => oss.bucket.putObject('k', 'x', { headers: { 'Content-Length': '1' } }),
        'headers["content-length"]',
        'header content-length cannot be set on an upload: pass the contentLength option instead',
      ],
      [
        'callback URL not http(s)',
        () => oss.bucket.putObject('k', 'x', { callback: { url: 'ftp://x', body: 'a' } }),
        'callback.url',
        'callback.url must be 1 to 5 http(s) URLs',
      ],
      [
        'empty callback body',
        () => oss.bucket.putObject('k', 'x', { callback: { url: 'http://127.0.0.1:1', body: '' } }),
        'callback.body',
        'callback.body must be a non-empty string (OSS rejects an empty callbackBody)',
      ],
      [
        'callback var without x:',
        () =>
          oss.bucket.putObject('k', 'x', {
            callback: { url: 'http://127.0.0.1:1', body: 'a' },
            callbackVar: { who: 'me' },
          }),
        'callbackVar',
        `callbackVar key "who" must look like 'x:name' (lower-case letters, digits, _ or -)`,
      ],
      [
        'raw x-oss-callback that is not base64 JSON',
        () => oss.bucket.putObject('k', 'x', { headers: { 'x-oss-callback': 'not-json' } }),
        'headers["x-oss-callback"]',
        'header x-oss-callback must be base64 of a JSON object (or use the callback option, which encodes it for you)',
      ],
      [
        'raw x-oss-callback without callbackBody',
        () =>
          oss.bucket.putObject('k', 'x', {
            headers: { 'x-oss-callback': Buffer.from('{"callbackUrl":"http://a"}').toString('base64') },
          }),
        'headers["x-oss-callback"]',
        'header x-oss-callback must name a non-empty callbackBody',
      ],
      [
        'a number as data',
        () => oss.bucket.putObject('k', 42 as unknown as string),
        'data',
        'unsupported upload data (number): pass a string, Buffer/Uint8Array, FileSlice, Readable, ReadableStream or (async) iterable of bytes',
      ],
      [
        'a plain object as data',
        () => oss.bucket.putObject('k', { a: 1 } as unknown as string),
        'data',
        'unsupported upload data (Object): pass a string, Buffer/Uint8Array, FileSlice, Readable, ReadableStream or (async) iterable of bytes',
      ],
      [
        'a stream of objects',
        () => oss.bucket.putObject('k', Readable.from([{ a: 1 }])),
        'data',
        'upload data must yield bytes or strings, got Object (an object-mode stream of objects? Serialize them first, e.g. JSON.stringify each line)',
      ],
      [
        'an iterable of numbers',
        () => oss.bucket.putObject('k', [1, 2] as unknown as string[]),
        'data',
        'upload data must yield bytes or strings, got number (an object-mode stream of objects? Serialize them first, e.g. JSON.stringify each line)',
      ],
      [
        'a negative contentLength',
        () => oss.bucket.putObject('k', Readable.from(['x']), { contentLength: -1 }),
        'contentLength',
        'contentLength must be a non-negative integer, got -1',
      ],
      [
        'a 6 GiB contentLength',
        () => oss.bucket.putObject('k', Readable.from(['x']), { contentLength: 6 * GiB }),
        'data',
        'contentLength is 6442450944 bytes; the limit is 5368709120 bytes (use a multipart upload)',
      ],
    ];
    for (const [name, call, argument, message] of bad) {
      it(`${name} → OssArgumentError, 0 requests`, async () => {
        const e = await rejection(call());
        expect(e, String(e.stack)).to.be.instanceOf(OssArgumentError);
        expect([e.argument, e.message]).to.deep.equal([argument, message]);
        expect(oss.server.stats.total.requests).to.equal(0);
      });
    }
  });
});
