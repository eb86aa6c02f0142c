import { expect } from 'chai';
import { OssArgumentError } from 'oss-stream';
import { rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/list-multipart-uploads', () => {
  const oss = useLocalOss();

  it('lists every open upload across pages, optionally under a prefix', async () => {
    const ids: Array<[string, string]> = [];
    for (const key of ['a/1', 'a/2', 'a/2', 'a/ü 3', 'b/1'])
      ids.push([key, (await oss.bucket.initMultipartUpload(key)).uploadId]);
    oss.server.stats.reset();
    const all = await oss.bucket.listMultipartUploads({ pageSize: 2 });
    expect(all.map((u) => [u.key, u.uploadId]).sort()).to.deep.equal([...ids].sort());
    expect(oss.server.stats.op('ListMultipartUploads').requests).to.equal(3);
    const a = await oss.bucket.listMultipartUploads({ prefix: 'a/', pageSize: 1 });
    expect(a.map((u) => u.key)).to.deep.equal(['a/1', 'a/2', 'a/2', 'a/ü 3']);
    expect(a.every((u) => typeof u.initiated === 'string')).to.equal(true);
    expect(await oss.bucket.listMultipartUploads({ prefix: 'c/' })).to.deep.equal([]);
  });

  it('pageSize and prefix are checked before any request', async () => {
    expect((await rejection(oss.bucket.listMultipartUploads({ pageSize: 0 }))).message).to.equal(
      'pageSize must be an integer from 1 to 1000, got 0',
    );
    expect(await rejection(oss.bucket.listMultipartUploads({ prefix: 3 as unknown as string }))).to.be.instanceOf(
      OssArgumentError,
    );
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
