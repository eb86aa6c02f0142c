import { expect } from 'chai';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FileSlice, OssAbortError, OssArgumentError, OssIntegrityError, OssServiceError } from 'oss-stream';
import { chunked, md5Etag, oracleCrc, pattern, recorder, rejection } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';
import { useLocalOss } from '../support/local-oss.js';

const KiB = 1024;
const GiB = 1024 ** 3;

describe('api/upload-part', () => {
  const oss = useLocalOss();
  let uploadId: string;
  const key = 'parts.bin';

  beforeEach(async () => {
    uploadId = (await oss.bucket.initMultipartUpload(key)).uploadId;
    oss.server.stats.reset();
  });

  it('stores a part and answers its ETag (MD5), CRC64 and size', async () => {
    const data = pattern(150 * KiB, 1);
    const r = await oss.bucket.uploadPart(key, uploadId, 3, data);
    expect(r).to.deep.include({
      status: 200,
      partNumber: 3,
      etag: md5Etag(data),
      crc64: oracleCrc(data),
      size: data.length,
    });
    const listed = await oss.bucket.listParts(key, uploadId);
    expect(listed.map((p) => [p.partNumber, p.etag, p.size, p.hashCrc64ecma])).to.deep.equal([
      [3, md5Etag(data), data.length, oracleCrc(data)],
    ]);
  });

  it('takes a FileSlice (only its range), a stream (chunked), an iterable, and 0 bytes', async () => {
    const file = join(oss.dir, 'parts-src.bin');
    const data = pattern(500 * KiB, 2);
    await writeFile(file, data);
    const a = await oss.bucket.uploadPart(key, uploadId, 1, new FileSlice(file, 100 * KiB, 200 * KiB));
    const b = await oss.bucket.uploadPart(key, uploadId, 2, Readable.from(chunked(data.subarray(0, 120 * KiB))));
    const c = await oss.bucket.uploadPart(key, uploadId, 3, ['tail', Buffer.from('!')]);
    const d = await oss.bucket.uploadPart(key, uploadId, 4, Buffer.alloc(0));
    expect([a.crc64, a.size]).to.deep.equal([oracleCrc(data.subarray(100 * KiB, 300 * KiB)), 200 * KiB]);
    expect([b.crc64, b.size]).to.deep.equal([oracleCrc(data.subarray(0, 120 * KiB)), 120 * KiB]);
    expect([c.crc64, c.size]).to.deep.equal([oracleCrc('tail!'), 5]);
    expect([d.crc64, d.size, d.etag]).to.deep.equal(['0', 0, '"D41D8CD98F00B204E9800998ECF8427E"']);
  });

  it('re-uploading a part number replaces it', async () => {
    await oss.bucket.uploadPart(key, uploadId, 1, 'first');
    const again = await oss.bucket.uploadPart(key, uploadId, 1, 'second');
    const listed = await oss.bucket.listParts(key, uploadId);
    expect(listed.map((p) => [p.partNumber, p.etag])).to.deep.equal([[1, again.etag]]);
  });

  it('a FileSlice part is resent after a 500 and after a reset; only that part number is hit', async () => {
    const file = join(oss.dir, 'retry-part.bin');
    const data = pattern(300 * KiB, 3);
    await writeFile(file, data);
    oss.server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'error' } });
    oss.server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'reset', afterBytes: 64 * KiB } });
    await oss.bucket.uploadPart(key, uploadId, 1, 'one');
    const r = await oss.bucket.uploadPart(key, uploadId, 2, new FileSlice(file, 0, data.length));
    expect([r.crc64, r.size]).to.deep.equal([oracleCrc(data), data.length]);
    expect(oss.server.stats.op('UploadPart').requests).to.equal(4);
  });

  it('a stream part is not retried', async () => {
    oss.server.faults.add({ op: 'UploadPart', action: { type: 'error', status: 503, qosDelayTimeMs: 1 } });
    const e = await rejection(oss.bucket.uploadPart(key, uploadId, 1, Readable.from([pattern(10 * KiB)])));
    expect(e).to.be.instanceOf(OssServiceError);
    expect([e.code, e.status]).to.deep.equal(['ServiceUnavailable', 503]);
    expect(oss.server.stats.op('UploadPart').requests).to.equal(1);
  });

  it('a corrupted part CRC64 is an OssIntegrityError naming the part', async () => {
    oss.server.faults.add({ op: 'UploadPart', action: { type: 'corrupt-crc64' } });
    const e = await rejection(oss.bucket.uploadPart(key, uploadId, 7, 'abc'));
    expect(e).to.be.instanceOf(OssIntegrityError);
    expect(e.message).to.equal(
      `UploadPart parts.bin #7: CRC64 mismatch, the client computed ${oracleCrc('abc')} but the server reports ${(BigInt(oracleCrc('abc')) ^ 1n).toString()}`,
    );
  });

  it('progress per part: monotonic, ends at (size, size)', async () => {
    const p = recorder();
    await oss.bucket.uploadPart(key, uploadId, 1, pattern(300 * KiB), { onProgress: p.cb });
    for (let i = 1; i < p.calls.length; i++) expect(p.calls[i]![0]).to.be.greaterThan(p.calls[i - 1]![0]);
    expect(p.calls.at(-1)).to.deep.equal([300 * KiB, 300 * KiB]);
  });

  it('offsets past 4 GiB: a FileSlice at the end of a sparse 6 GiB file', async () => {
    const file = join(oss.dir, 'sparse6g.bin');
    const fh = await open(file, 'w');
    await fh.truncate(6 * GiB);
    await fh.write(Buffer.from('END'), 0, 3, 6 * GiB - 3);
    await fh.close();
    const r = await oss.bucket.uploadPart(key, uploadId, 1, new FileSlice(file, 6 * GiB - 100, 100));
    expect([r.size, r.crc64]).to.deep.equal([100, oracleCrc(Buffer.concat([Buffer.alloc(97), Buffer.from('END')]))]);
    // the same file whole is over the part limit, refused before any request
    oss.server.stats.reset();
    const e = await rejection(oss.bucket.uploadPart(key, uploadId, 2, new FileSlice(file, 0, 6 * GiB)));
    expect([e.code, e.message]).to.deep.equal([
      'EntityTooLarge',
      'the file slice is 6442450944 bytes; the limit is 5368709120 bytes (use a multipart upload)',
    ]);
    expect(oss.server.stats.total.requests).to.equal(0);
  });

  it('a declared 5 GiB part is sent with that length, streamed (aborted after the first bytes arrive)', async () => {
    const ac = new AbortController();
    const source = (async function* () {
      yield pattern(64 * KiB);
      // keep the request open until the server has counted bytes, then abort
      await eventually(() => oss.server.stats.op('UploadPart').bytesIn > 0);
      ac.abort();
      yield pattern(64 * KiB);
    })();
    const e = await rejection(
      oss.bucket.uploadPart(key, uploadId, 1, source, { contentLength: 5 * GiB, signal: ac.signal }),
    );
    expect(e).to.be.instanceOf(OssAbortError);
    expect(oss.server.stats.op('UploadPart').requests).to.equal(1);
    expect(oss.server.stats.op('UploadPart').bytesIn).to.be.within(1, 10 * 64 * KiB);
    expect(await oss.bucket.listParts(key, uploadId)).to.deep.equal([]);
  });

  describe('validation before any byte is sent', () => {
    const cases: Array<[string, () => Promise<unknown>, string, string]> = [
      [
        'part number 0',
        () => oss.bucket.uploadPart(key, uploadId, 0, 'x'),
        'partNumber',
        'part number must be an integer from 1 to 10000, got 0',
      ],
      [
        'part number 10001',
        () => oss.bucket.uploadPart(key, uploadId, 10_001, 'x'),
        'partNumber',
        'part number must be an integer from 1 to 10000, got 10001',
      ],
      [
        'part number 1.5',
        () => oss.bucket.uploadPart(key, uploadId, 1.5, 'x'),
        'partNumber',
        'part number must be an integer from 1 to 10000, got 1.5',
      ],
      [
        'part number as a string',
        () => oss.bucket.uploadPart(key, uploadId, '1' as unknown as number, 'x'),
        'partNumber',
        'part number must be an integer from 1 to 10000, got 1',
      ],
      [
        'an empty uploadId',
        () => oss.bucket.uploadPart(key, '', 1, 'x'),
        'uploadId',
        'uploadId must be a non-empty string',
      ],
      [
        'a 6 GiB declared length',
        () => oss.bucket.uploadPart(key, uploadId, 1, Readable.from(['x']), { contentLength: 6 * GiB }),
        'data',
        'contentLength is 6442450944 bytes; the limit is 5368709120 bytes (use a multipart upload)',
      ],
      [
        'unsupported data',
        () => oss.bucket.uploadPart(key, uploadId, 1, Symbol('x') as unknown as string),
        'data',
        'unsupported upload data (symbol): pass a string, Buffer/Uint8Array, FileSlice, Readable, ReadableStream or (async) iterable of bytes',
      ],
    ];
    for (const [name, call, argument, message] of cases) {
      it(`${name} → OssArgumentError, 0 requests`, async () => {
        const e = await rejection(call());
        expect(e).to.be.instanceOf(OssArgumentError);
        expect([e.argument, e.message]).to.deep.equal([argument, message]);
        expect(oss.server.stats.total.requests).to.equal(0);
      });
    }
  });
});
