import { expect } from 'chai';
import { OssArgumentError, OssServiceError } from 'oss-stream';
import { contextOf } from '../../lib/bucket.js';
import { abortIfPresent } from '../../lib/api/abort-multipart-upload.js';
import { rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/abort-multipart-upload', () => {
  const oss = useLocalOss();

  it('drops the upload and its parts; a second abort is NoSuchUpload', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('dropped.bin');
    await oss.bucket.uploadPart('dropped.bin', uploadId, 1, 'part');
    const r = await oss.bucket.abortMultipartUpload('dropped.bin', uploadId);
    expect(r.status).to.equal(204);
    expect(r.requestId).to.match(/^[0-9A-F]{24}$/);
    expect(await oss.bucket.listMultipartUploads()).to.deep.equal([]);
    const again = await rejection(oss.bucket.abortMultipartUpload('dropped.bin', uploadId));
    expect([again.constructor, again.code, again.status]).to.deep.equal([OssServiceError, 'NoSuchUpload', 404]);
    const parts = await rejection(oss.bucket.listParts('dropped.bin', uploadId));
    expect(parts.code).to.equal('NoSuchUpload');
    expect((await rejection(oss.bucket.headObject('dropped.bin'))).code).to.equal('NoSuchKey');
  });

  it('bad key or uploadId → OssArgumentError, 0 requests', async () => {
    for (const [key, id] of [
      ['', 'u'],
      ['k', ''],
      ['k', 5],
    ] as const) {
      const e = await rejection(oss.bucket.abortMultipartUpload(key, id as string));
      expect(e).to.be.instanceOf(OssArgumentError);
    }
    expect(oss.server.stats.total.requests).to.equal(0);
  });

  it('abortIfPresent: drops the upload, is fine with one already gone, and passes other errors on', async () => {
    const { uploadId } = await oss.bucket.initMultipartUpload('if-present.bin');
    await abortIfPresent(contextOf(oss.bucket), 'if-present.bin', uploadId);
    expect(await oss.bucket.listMultipartUploads()).to.deep.equal([]);
    await abortIfPresent(contextOf(oss.bucket), 'if-present.bin', uploadId); // NoSuchUpload: fine
    oss.server.faults.add({ op: 'AbortMultipartUpload', action: { type: 'error', code: 'InternalError' }, times: 100 });
    const e = await rejection(abortIfPresent(contextOf(oss.bucket), 'if-present.bin', uploadId, {}));
    expect([e.code, e.status]).to.deep.equal(['InternalError', 500]);
  });
});
