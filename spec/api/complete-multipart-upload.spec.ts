import { expect } from 'chai';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  determinePartSize,
  FileSlice,
  OssArgumentError,
  OssCallbackError,
  OssIntegrityError,
  OssServiceError,
  type CompletedPart,
  type CompleteMultipartUploadResult,
} from 'oss-stream';
import { combinedCrc64 } from '../../lib/api/complete-multipart-upload.js';
import { oracleCrc, pattern, rejection } from '../support/bytes.js';
import { startCallbackServer } from '../support/callback-receiver.js';
import { download, useLocalOss } from '../support/local-oss.js';

const KiB = 1024;

describe('api/complete-multipart-upload', () => {
  const oss = useLocalOss();

  /** Uploads `data` in parts of `partSize` and returns the parts in upload order. */
  async function uploadParts(key: string, uploadId: string, data: Buffer, partSize: number): Promise<CompletedPart[]> {
    const parts: CompletedPart[] = [];
    for (let n = 1, off = 0; off < data.length; n++, off += partSize) {
      parts.push(await oss.bucket.uploadPart(key, uploadId, n, data.subarray(off, off + partSize)));
    }
    return parts;
  }

  it("the guide's flow: determinePartSize + FileSlice parts, complete, read back equal", async () => {
    const filename = join(oss.dir, 'local.txt');
    await writeFile(filename, pattern(1024 * KiB + 333, 1));
    const totalSize = (await stat(filename)).size;
    const partSize = determinePartSize(totalSize, 100 * KiB);
    expect(partSize).to.equal(100 * KiB);
    const key = 'remote.txt';
    const { uploadId } = await oss.bucket.initMultipartUpload(key);
    const parts = [];
    for (let partNumber = 1, offset = 0; offset < totalSize; partNumber++) {
      const numToUpload = Math.min(partSize, totalSize - offset);
      parts.push(await oss.bucket.uploadPart(key, uploadId, partNumber, new FileSlice(filename, offset, numToUpload)));
      offset += numToUpload;
    }
    expect(parts).to.have.length(11);
    const r = await oss.bucket.completeMultipartUpload(key, uploadId, parts);
    const local = pattern(1024 * KiB + 333, 1);
    expect(r.status).to.equal(200);
    expect(r.etag).to.match(/^"[0-9A-F]{32}-11"$/);
    expect([r.crc64, r.size]).to.deep.equal([oracleCrc(local), totalSize]);
    expect(r.location).to.equal(`${oss.server.endpoint}/spec-bucket/remote.txt`);
    expect((await download(oss.bucket, key)).equals(local)).to.equal(true);
    expect(await oss.bucket.listMultipartUploads()).to.deep.equal([]);
  });

  it('parts may be given in any order: they are sorted', async () => {
    const data = pattern(350 * KiB, 2);
    const { uploadId } = await oss.bucket.initMultipartUpload('shuffled.bin');
    const parts = await uploadParts('shuffled.bin', uploadId, data, 100 * KiB);
    const r = await oss.bucket.completeMultipartUpload('shuffled.bin', uploadId, [
      parts[2]!,
      parts[0]!,
      parts[3]!,
      parts[1]!,
    ]);
    expect(r.crc64).to.equal(oracleCrc(data));
    expect((await download(oss.bucket, 'shuffled.bin')).equals(data)).to.equal(true);
  });

  it('with only { partNumber, etag } the whole-object CRC is not checked, the server one is returned', async () => {
    const data = pattern(200 * KiB + 1, 3);
    const { uploadId } = await oss.bucket.initMultipartUpload('etag-only.bin');
    const parts = (await uploadParts('etag-only.bin', uploadId, data, 100 * KiB)).map(({ partNumber, etag }) => ({
      partNumber,
      etag,
    }));
    const r = await oss.bucket.completeMultipartUpload('etag-only.bin', uploadId, parts);
    expect([r.crc64, r.size]).to.deep.equal([oracleCrc(data), undefined]);
  });

  it('a whole-object CRC64 that differs from the combined part CRCs is an OssIntegrityError', async () => {
    const data = pattern(200 * KiB, 4);
    const { uploadId } = await oss.bucket.initMultipartUpload('corrupt.bin');
    const parts = await uploadParts('corrupt.bin', uploadId, data, 100 * KiB);
    oss.server.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'corrupt-crc64' } });
    const e = await rejection(oss.bucket.completeMultipartUpload('corrupt.bin', uploadId, parts));
    expect(e).to.be.instanceOf(OssIntegrityError);
    expect([e.expected, e.actual]).to.deep.equal([oracleCrc(data), (BigInt(oracleCrc(data)) ^ 1n).toString()]);
    expect(e.message).to.match(/^CompleteMultipartUpload corrupt\.bin: CRC64 mismatch/);
  });

  it('server-side refusals are typed service errors (InvalidPart, EntityTooSmall, NoSuchUpload)', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('refused.bin');
    const [p1, p2] = await uploadParts('refused.bin', uploadId, pattern(150 * KiB), 100 * KiB);
    const wrongEtag = await rejection(
      oss.bucket.completeMultipartUpload('refused.bin', uploadId, [
        { ...p1!, etag: '"00000000000000000000000000000000"' },
      ]),
    );
    expect([wrongEtag.constructor, wrongEtag.code, wrongEtag.status]).to.deep.equal([
      OssServiceError,
      'InvalidPart',
      400,
    ]);
    const small = await oss.bucket.uploadPart('refused.bin', uploadId, 1, 'tiny');
    const tooSmall = await rejection(oss.bucket.completeMultipartUpload('refused.bin', uploadId, [small, p2!]));
    expect([tooSmall.code, tooSmall.status]).to.deep.equal(['EntityTooSmall', 400]);
    await oss.bucket.abortMultipartUpload('refused.bin', uploadId);
    const gone = await rejection(oss.bucket.completeMultipartUpload('refused.bin', uploadId, [p2!]));
    expect([gone.code, gone.status]).to.deep.equal(['NoSuchUpload', 404]);
  });

  describe('upload callback', () => {
    let cb: Awaited<ReturnType<typeof startCallbackServer>>;
    before(async () => {
      cb = await startCallbackServer();
    });
    after(() => cb.close());

    it('a callback on Complete returns the receiver answer as callbackBody', async () => {
      const data = pattern(120 * KiB, 5);
      const { uploadId } = await oss.bucket.initMultipartUpload('cb.bin');
      const parts = await uploadParts('cb.bin', uploadId, data, 100 * KiB);
      const r = await oss.bucket.completeMultipartUpload('cb.bin', uploadId, parts, {
        callback: { url: `${cb.url}/ok`, body: '{"object":${object},"size":${size}}', bodyType: 'application/json' },
      });
      expect(JSON.parse(r.callbackBody!)).to.deep.equal({ received: `{"object":"cb.bin","size":${data.length}}` });
      expect(r.crc64).to.equal(oracleCrc(data));
    });

    it('a 203 on Complete is an OssCallbackError with the result; the object is stored', async () => {
      const data = pattern(120 * KiB, 6);
      const { uploadId } = await oss.bucket.initMultipartUpload('cb-fail.bin');
      const parts = await uploadParts('cb-fail.bin', uploadId, data, 100 * KiB);
      const e = await rejection(
        oss.bucket.completeMultipartUpload('cb-fail.bin', uploadId, parts, {
          callback: { url: `${cb.url}/fail`, body: 'x=${object}' },
        }),
      );
      expect(e).to.be.instanceOf(OssCallbackError);
      const result = (e as unknown as OssCallbackError<CompleteMultipartUploadResult>).result;
      expect([result.status, result.crc64, result.size]).to.deep.equal([203, oracleCrc(data), data.length]);
      expect(result.etag).to.match(/-2"$/);
      expect((await download(oss.bucket, 'cb-fail.bin')).equals(data)).to.equal(true);
    });
  });

  describe('validation before any request', () => {
    const part = { partNumber: 1, etag: '"A"' };
    const cases: Array<[string, () => Promise<unknown>, string, string]> = [
      ['no parts', () => oss.bucket.completeMultipartUpload('k', 'u', []), 'parts', 'Complete needs at least one part'],
      [
        'parts not an array',
        () => oss.bucket.completeMultipartUpload('k', 'u', 'x' as unknown as CompletedPart[]),
        'parts',
        'Complete needs at least one part',
      ],
      [
        'a duplicate part',
        () => oss.bucket.completeMultipartUpload('k', 'u', [part, { ...part }]),
        'parts',
        'part 1 is listed twice',
      ],
      [
        'a part without ETag',
        () => oss.bucket.completeMultipartUpload('k', 'u', [{ partNumber: 2, etag: '' }]),
        'parts',
        'part 2 has no ETag',
      ],
      [
        'a part number out of range',
        () => oss.bucket.completeMultipartUpload('k', 'u', [{ partNumber: 10_001, etag: '"A"' }]),
        'partNumber',
        'part number must be an integer from 1 to 10000, got 10001',
      ],
      [
        'a null part',
        () => oss.bucket.completeMultipartUpload('k', 'u', [null as unknown as CompletedPart]),
        'parts',
        'each part must be an object { partNumber, etag, crc64?, size? }',
      ],
      [
        'a part crc64 that is not a CRC',
        () => oss.bucket.completeMultipartUpload('k', 'u', [{ ...part, crc64: '-1', size: 1 }]),
        'parts',
        'part 1 has crc64 -1; it must be a decimal CRC64 string',
      ],
      [
        'a negative part size',
        () => oss.bucket.completeMultipartUpload('k', 'u', [{ ...part, crc64: '1', size: -1 }]),
        'parts',
        'part 1 has size -1; it must be a non-negative integer',
      ],
      [
        'an empty uploadId',
        () => oss.bucket.completeMultipartUpload('k', '', [part]),
        'uploadId',
        'uploadId must be a non-empty string',
      ],
      [
        'a bad callback',
        () => oss.bucket.completeMultipartUpload('k', 'u', [part], { callback: { url: 'x', body: 'b' } }),
        'callback.url',
        'callback.url must be 1 to 5 http(s) URLs',
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

  describe('combinedCrc64', () => {
    it('combines part CRCs in order into the whole-object CRC, or gives up when one is missing', () => {
      const a = pattern(1000, 7);
      const b = pattern(3, 8);
      const parts = [
        { partNumber: 1, etag: 'x', crc64: oracleCrc(a), size: a.length },
        { partNumber: 2, etag: 'y', crc64: oracleCrc(b), size: b.length },
      ];
      expect(combinedCrc64(parts)).to.deep.equal({ crc64: oracleCrc(Buffer.concat([a, b])), size: 1003 });
      expect(combinedCrc64([parts[0]!, { partNumber: 2, etag: 'y' }])).to.equal(undefined);
      expect(combinedCrc64([{ partNumber: 1, etag: 'x', crc64: '0', size: 0 }])).to.deep.equal({ crc64: '0', size: 0 });
    });
  });
});
