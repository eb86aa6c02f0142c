import { expect } from 'chai';
import { OssArgumentError } from 'oss-stream';
import { rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/initiate-multipart-upload', () => {
  const oss = useLocalOss();

  it('returns a fresh uploadId with status and request id; the upload is listed', async () => {
    const a = await oss.bucket.initMultipartUpload('big.bin');
    const b = await oss.bucket.initMultipartUpload('big.bin');
    expect(a.status).to.equal(200);
    expect(a.requestId).to.match(/^[0-9A-F]{24}$/);
    expect(a.uploadId).to.be.a('string').and.not.equal(b.uploadId);
    const listed = await oss.bucket.listMultipartUploads({ prefix: 'big.bin' });
    expect(listed.map((u) => u.uploadId).sort()).to.deep.equal([a.uploadId, b.uploadId].sort());
  });

  it('headers given at initiation (guessed Content-Type, metadata) end up on the completed object', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('report.csv', {
      headers: { 'x-oss-meta-owner': 'spec', 'Cache-Control': 'max-age=60' },
    });
    const p = await oss.bucket.uploadPart('report.csv', uploadId, 1, 'a,b\n');
    await oss.bucket.completeMultipartUpload('report.csv', uploadId, [p]);
    const h = await oss.bucket.headObject('report.csv');
    expect([h.contentType, h.meta, h.headers['cache-control'], h.objectType]).to.deep.equal([
      'text/csv; charset=utf-8',
      { owner: 'spec' },
      'max-age=60',
      'Multipart',
    ]);
  });

  it('an explicit Content-Type or contentTypeFrom name wins over the key', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('blob', { contentTypeFrom: 'x.png' });
    await oss.bucket.completeMultipartUpload('blob', uploadId, [await oss.bucket.uploadPart('blob', uploadId, 1, 'x')]);
    expect((await oss.bucket.headObject('blob')).contentType).to.equal('image/png');
  });

  it('bad keys and headers are argument errors before any request', async () => {
    for (const call of [
      () => oss.bucket.initMultipartUpload(''),
      () => oss.bucket.initMultipartUpload('k', { headers: { 'bad name': 'x' } }),
      () => oss.bucket.initMultipartUpload('k', { headers: { 'x-oss-meta-a': 'ü' } }),
    ]) {
      expect(await rejection(call())).to.be.instanceOf(OssArgumentError);
    }
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
