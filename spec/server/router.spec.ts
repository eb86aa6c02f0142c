import { expect } from 'chai';
import { parseQuery, resolveTarget, selectOp, type Target } from '../../lib/server/router.js';
import { ServerError } from '../../lib/server/server-error.js';

const exists = (name: string): boolean => name === 'bkt';

describe('server router', () => {
  it('parses queries: bare names are null, + stays +, first occurrence wins', () => {
    expect(parseQuery('uploads&partNumber=1&uploadId=A%2BB&x=a+b&x=2&empty=')).to.deep.equal({
      uploads: null,
      partNumber: '1',
      uploadId: 'A+B',
      x: 'a+b',
      empty: '',
    });
    expect(() => parseQuery('bad=%E0%A4%A')).to.throw(ServerError);
  });

  it('keeps query parameters named like Object.prototype members (constructor, toString, __proto__)', () => {
    const q = parseQuery('constructor=1&toString&hasOwnProperty=2&__proto__=3&valueOf=&constructor=4');
    // Built with fromEntries: a `__proto__` key in an object literal would set the prototype instead.
    const expected = Object.fromEntries([
      ['constructor', '1'],
      ['toString', null],
      ['hasOwnProperty', '2'],
      ['__proto__', '3'],
      ['valueOf', ''],
    ]);
    expect(Object.entries(q)).to.deep.equal(Object.entries(expected));
    expect(parseQuery('a=1')['constructor']).to.equal(undefined);
  });

  it('resolves path-style and virtual-host addressing', () => {
    const t = (url: string, host?: string): Target => resolveTarget(url, host, exists);
    expect(t('/bkt/a%2Fb/c%20d?acl', '127.0.0.1:9000')).to.deep.equal({
      bucket: 'bkt',
      key: 'a/b/c d',
      query: { acl: null },
      style: 'path',
    });
    expect(t('/bkt/', 'localhost:9000')).to.deep.equal({ bucket: 'bkt', query: {}, style: 'path' });
    expect(t('/bkt', '[::1]:9000')).to.deep.equal({ bucket: 'bkt', query: {}, style: 'path' });
    expect(t('/', '127.0.0.1')).to.deep.equal({ query: {}, style: 'none' });
    expect(t('/key%2B1', 'bkt.oss-cn-hangzhou.aliyuncs.com')).to.deep.equal({
      bucket: 'bkt',
      key: 'key+1',
      query: {},
      style: 'virtual-host',
    });
    // a bucket that does not exist yet, addressed virtual-host style at "/" (PutBucket)
    expect(t('/', 'newbkt.localhost:1')).to.deep.equal({ bucket: 'newbkt', query: {}, style: 'virtual-host' });
    // the region endpoint's first label is not a bucket: path-style
    expect(t('/bkt/k', 'oss-cn-hangzhou.aliyuncs.com')).to.deep.equal({
      bucket: 'bkt',
      key: 'k',
      query: {},
      style: 'path',
    });
    expect(() => t('bkt/k')).to.throw(ServerError);
  });

  it('selects operations by method and sub-resources', () => {
    const op = (method: string, url: string, headers: Record<string, string> = {}): string =>
      selectOp(method, resolveTarget(url, '127.0.0.1', exists), headers);
    const table: Array<[string, string, string]> = [
      ['GET', '/', 'ListBuckets'],
      ['PUT', '/bkt', 'PutBucket'],
      ['DELETE', '/bkt', 'DeleteBucket'],
      ['GET', '/bkt/', 'GetBucket'],
      ['GET', '/bkt/?uploads', 'ListMultipartUploads'],
      ['GET', '/bkt/?acl', 'Unsupported'],
      ['PUT', '/bkt/k', 'PutObject'],
      ['POST', '/bkt/k?append&position=0', 'AppendObject'],
      ['POST', '/bkt/k?uploads', 'InitiateMultipartUpload'],
      ['PUT', '/bkt/k?partNumber=1&uploadId=X', 'UploadPart'],
      ['POST', '/bkt/k?uploadId=X', 'CompleteMultipartUpload'],
      ['DELETE', '/bkt/k?uploadId=X', 'AbortMultipartUpload'],
      ['GET', '/bkt/k?uploadId=X', 'ListParts'],
      ['GET', '/bkt/k', 'GetObject'],
      ['HEAD', '/bkt/k', 'HeadObject'],
      ['HEAD', '/bkt/k?objectMeta', 'GetObjectMeta'],
      ['DELETE', '/bkt/k', 'DeleteObject'],
      ['GET', '/bkt/k?acl', 'GetObjectAcl'],
      ['PUT', '/bkt/k?acl', 'PutObjectAcl'],
      ['GET', '/bkt/k?tagging', 'GetObjectTagging'],
      ['DELETE', '/bkt/k?tagging', 'DeleteObjectTagging'],
      ['PUT', '/bkt/k?tagging', 'PutObjectTagging'],
      ['PUT', '/bkt/k?symlink', 'PutSymlink'],
      ['GET', '/bkt/k?symlink', 'GetSymlink'],
      ['GET', '/bkt/?list-type=2', 'ListObjectsV2'],
      ['GET', '/bkt/?list-type=2&continuation-token=abc', 'ListObjectsV2'],
      ['POST', '/bkt/?delete', 'DeleteMultipleObjects'],
      ['PATCH', '/bkt/k', 'Unsupported'],
    ];
    for (const [m, url, name] of table) expect([m, url, op(m, url)]).to.deep.equal([m, url, name]);
    const copy = { 'x-oss-copy-source': '/bkt/j' };
    expect(op('PUT', '/bkt/k', copy)).to.equal('CopyObject');
    expect(op('PUT', '/bkt/k?partNumber=1&uploadId=X', copy)).to.equal('UploadPartCopy');
    const form = { 'content-type': 'multipart/form-data; boundary=xyz' };
    expect(op('POST', '/bkt/', form)).to.equal('PostObject');
    expect(op('POST', '/bkt/')).to.equal('Unsupported');
    expect(op('POST', '/bkt/?acl', form)).to.equal('Unsupported');
  });

  it('never lets a sub-resource it does not implement fall through to another operation', () => {
    const op = (method: string, url: string): string => selectOp(method, resolveTarget(url, '127.0.0.1', exists), {});
    const unsupported: Array<[string, string]> = [
      ['PUT', '/bkt/channel?live'],
      ['GET', '/bkt/channel?live&comp=stat'],
      ['GET', '/bkt/channel?vod&endTime=1&startTime=0'],
      ['POST', '/bkt/k?restore'],
      ['GET', '/bkt/k?x-oss-process=image/resize,w_10'],
      ['HEAD', '/bkt/k?x-oss-process=image/info'],
      ['POST', '/bkt/k?x-oss-process'],
      ['POST', '/bkt/k?x-oss-async-process'],
      ['PUT', '/bkt/k?objectMeta'],
      ['DELETE', '/bkt/k?objectMeta'],
      ['PUT', '/bkt/k?append&position=0'],
      ['GET', '/bkt/k?uploads'],
      ['POST', '/bkt/k?acl'],
      ['DELETE', '/bkt/k?symlink'],
      ['GET', '/bkt/k?partNumber=1'],
      ['POST', '/bkt/k?delete'],
      ['GET', '/bkt/?live'],
      ['PUT', '/bkt/?delete'],
      ['GET', '/bkt/?symlink'],
      ['POST', '/bkt/?asyncFetch'],
      ['PUT', '/bkt/?lifecycle'],
      ['GET', '/?regions'],
    ];
    for (const [m, url] of unsupported) expect([m, url, op(m, url)]).to.deep.equal([m, url, 'Unsupported']);
    // names inherited from Object.prototype are plain query parameters, not sub-resources
    expect(op('GET', '/bkt/k?constructor&toString=1')).to.equal('GetObject');
  });
});
