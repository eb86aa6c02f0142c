import { expect } from 'chai';
import { OssArgumentError } from 'oss-stream';
import { md5Etag, oracleCrc, rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/list-parts', () => {
  const oss = useLocalOss();

  it('follows the part-number marker across pages and returns every part ascending', async () => {
    const key = 'odd key/ü+1.bin';
    const { uploadId } = await oss.bucket.initMultipartUpload(key);
    for (const n of [5, 1, 9, 3, 7]) await oss.bucket.uploadPart(key, uploadId, n, `part-${n}`);
    oss.server.stats.reset();
    const parts = await oss.bucket.listParts(key, uploadId, { pageSize: 2 });
    expect(parts.map((p) => [p.partNumber, p.size, p.etag, p.hashCrc64ecma])).to.deep.equal(
      [1, 3, 5, 7, 9].map((n) => [n, 6, md5Etag(`part-${n}`), oracleCrc(`part-${n}`)]),
    );
    expect(oss.server.stats.op('ListParts').requests).to.equal(3);
    const one = await oss.bucket.listParts(key, uploadId);
    expect(one).to.have.length(5);
    expect(oss.server.stats.op('ListParts').requests).to.equal(4);
  });

  it('an upload without parts lists none', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('none.bin');
    expect(await oss.bucket.listParts('none.bin', uploadId)).to.deep.equal([]);
  });

  it('pageSize must be 1..1000; bad key/uploadId; all before any request', async () => {
    for (const [pageSize, msg] of [
      [0, 'got 0'],
      [1001, 'got 1001'],
      [2.5, 'got 2.5'],
    ] as const) {
      const e = await rejection(oss.bucket.listParts('k', 'u', { pageSize }));
      expect(e).to.be.instanceOf(OssArgumentError);
      expect(e.message).to.equal(`pageSize must be an integer from 1 to 1000, ${msg}`);
    }
    expect(await rejection(oss.bucket.listParts('', 'u'))).to.be.instanceOf(OssArgumentError);
    expect(await rejection(oss.bucket.listParts('k', ''))).to.be.instanceOf(OssArgumentError);
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
