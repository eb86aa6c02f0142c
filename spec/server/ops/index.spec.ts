// What the server answers for the operations it does not implement: 501 NotImplemented with an OSS <Error> body
// and request id, never another operation (a LiveChannel PUT stored as an object, image processing answering the
// original bytes).
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField } from '../../support/raw-http.js';

describe('server: operations it does not implement answer 501 NotImplemented', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer();
    await call(server, 'PUT', '/bkt/pic.jpg', { body: 'jpeg bytes' });
  });
  after(() => server.close());

  const table: Array<[string, string, string]> = [
    ['PUT', '/bkt/channel?live', 'LiveChannel PutLiveChannel'],
    ['GET', '/bkt/channel?live', 'LiveChannel GetLiveChannelInfo'],
    ['GET', '/bkt/channel?live&comp=stat', 'LiveChannel GetLiveChannelStat'],
    ['POST', '/bkt/channel%2Fplaylist.m3u8?vod&endTime=2&startTime=1', 'LiveChannel PostVodPlaylist'],
    ['DELETE', '/bkt/channel?live', 'LiveChannel DeleteLiveChannel'],
    ['GET', '/bkt/?live', 'LiveChannel ListLiveChannel'],
    ['GET', '/bkt/pic.jpg?x-oss-process=image/resize,w_100', 'image processing on GET'],
    ['HEAD', '/bkt/pic.jpg?x-oss-process=image/info', 'image processing on HEAD'],
    ['POST', '/bkt/pic.jpg?x-oss-process', 'image processing, save as (POST)'],
    ['POST', '/bkt/data.csv?x-oss-process=csv/select', 'SelectObject'],
    ['POST', '/bkt/pic.jpg?x-oss-async-process', 'async processing'],
    ['POST', '/bkt/pic.jpg?restore', 'RestoreObject'],
    ['PUT', '/bkt/pic.jpg?objectMeta', 'objectMeta on PUT'],
    ['POST', '/bkt/pic.jpg?objectMeta', 'objectMeta on POST'],
    ['DELETE', '/bkt/pic.jpg?objectMeta', 'objectMeta on DELETE'],
    ['PUT', '/bkt/pic.jpg?append&position=0', 'append on PUT'],
    ['GET', '/bkt/pic.jpg?uploads', 'uploads on GET of an object'],
    ['POST', '/bkt/pic.jpg?acl', 'acl on POST'],
    ['DELETE', '/bkt/pic.jpg?symlink', 'symlink on DELETE'],
    ['GET', '/bkt/?acl', 'GetBucketAcl'],
    ['PUT', '/bkt/?lifecycle', 'PutBucketLifecycle'],
    ['POST', '/bkt/?asyncFetch', 'AsyncFetch'],
    ['GET', '/?regions', 'DescribeRegions'],
    ['PATCH', '/bkt/pic.jpg', 'an unknown method'],
  ];

  for (const [method, path, what] of table) {
    it(`${method} ${path} (${what})`, async () => {
      const a = await call(
        server,
        method,
        path,
        method === 'PUT' || method === 'POST' ? { body: 'not for storing' } : {},
      );
      expect(a.status).to.equal(501);
      expect(errorCode(a)).to.equal('NotImplemented');
      const xml = method === 'HEAD' ? Buffer.from(String(a.headers['x-oss-err']), 'base64').toString('utf8') : a.text;
      expect(xmlField(xml, 'RequestId'))
        .to.match(/^[0-9A-F]{24}$/)
        .and.equal(a.headers['x-oss-request-id']);
      expect(xmlField(xml, 'Message')).to.contain('not implemented by the local OSS server');
    });
  }

  it('a PUT ?live stores nothing under the channel name', async () => {
    const put = await call(server, 'PUT', '/bkt/live-channel?live', {
      body: '<LiveChannelConfiguration><Status>enabled</Status></LiveChannelConfiguration>',
    });
    expect(put.status).to.equal(501);
    expect((await call(server, 'HEAD', '/bkt/live-channel')).status).to.equal(404);
    const listed = await call(server, 'GET', '/bkt/?prefix=live');
    expect(listed.text).to.not.contain('<Key>live-channel</Key>');
  });

  it('x-oss-process never answers the original bytes', async () => {
    const a = await call(server, 'GET', '/bkt/pic.jpg?x-oss-process=image/resize,w_100');
    expect(a.status).to.equal(501);
    expect(a.text).to.not.contain('jpeg bytes');
    expect(xmlField(a.text, 'Message')).to.equal(
      'GET on an object with ?x-oss-process is not implemented by the local OSS server.',
    );
    // the plain GET still answers the object
    expect((await call(server, 'GET', '/bkt/pic.jpg')).text).to.equal('jpeg bytes');
  });

  it('a signed request is authenticated before it is refused (no 501 for a bad signature)', async () => {
    const signed = await startAnonymousServer({ anonymous: false });
    try {
      const a = await call(signed, 'PUT', '/bkt/channel?live', { body: 'x' });
      expect([a.status, errorCode(a)]).to.deep.equal([403, 'AccessDenied']);
    } finally {
      await signed.close();
    }
  });
});
