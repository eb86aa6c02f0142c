import { expect } from 'chai';
import { OssArgumentError, OssServiceError } from 'oss-stream';
import { md5Etag, oracleCrc, rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/head-object', () => {
  const oss = useLocalOss();

  it('reads size, ETag, type, dates, object type, CRC64 and metadata', async () => {
    await oss.bucket.putObject('meta.txt', 'héllo', {
      headers: { 'x-oss-meta-author': 'O. Henry', 'x-oss-meta-Year': '1906' },
    });
    const h = await oss.bucket.headObject('meta.txt');
    expect(h).to.deep.include({
      status: 200,
      size: 6,
      etag: md5Etag('héllo'),
      contentType: 'text/plain; charset=utf-8',
      objectType: 'Normal',
      nextAppendPosition: undefined,
      crc64: oracleCrc('héllo'),
    });
    expect(h.meta).to.deep.equal({ author: 'O. Henry', year: '1906' });
    expect(new Date(h.lastModified!).getTime()).to.be.closeTo(Date.now(), 120_000);
    expect(h.requestId).to.match(/^[0-9A-F]{24}$/);
  });

  it('an appendable object reports its next append position', async () => {
    await oss.bucket.appendObject('app.log', 0, '12345');
    const h = await oss.bucket.headObject('app.log');
    expect([h.objectType, h.nextAppendPosition, h.size]).to.deep.equal(['Appendable', 5, 5]);
  });

  it('a missing object is NoSuchKey (from the x-oss-err header of the body-less answer)', async () => {
    const e = await rejection(oss.bucket.headObject('nope.txt'));
    expect(e).to.be.instanceOf(OssServiceError);
    expect([e.code, e.status, e.ec]).to.deep.equal(['NoSuchKey', 404, '0026-00000001']);
    expect(e.requestId).to.match(/^[0-9A-F]{24}$/);
    expect(oss.server.stats.op('HeadObject').requests).to.equal(1);
  });

  it('a bad key is an argument error, nothing sent', async () => {
    expect(await rejection(oss.bucket.headObject(''))).to.be.instanceOf(OssArgumentError);
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
