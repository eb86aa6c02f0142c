// ListObjectsV2 over the wire: paging with continuation tokens, start-after, delimiter, fetch-owner, KeyCount.
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../../support/raw-http.js';

describe('server ListObjectsV2', () => {
  let server: OssServer;
  const keys = ['a/1', 'a/2', 'b', 'c/x/1', 'c/y', 'd', 'e ü+'];
  before(async () => {
    server = await startAnonymousServer();
    for (const k of keys) await call(server, 'PUT', `/bkt/${encodeURIComponent(k)}`, { body: k });
  });
  after(() => server.close());

  const list = (query: string) => call(server, 'GET', `/bkt/?list-type=2${query}`);

  it('lists every key with KeyCount, in key order, and the V2 elements', async () => {
    const a = await list('');
    expect(a.status).to.equal(200);
    expect(xmlFields(a.text, 'Key')).to.deep.equal(keys);
    expect([xmlField(a.text, 'KeyCount'), xmlField(a.text, 'MaxKeys'), xmlField(a.text, 'IsTruncated')]).to.deep.equal([
      '7',
      '100',
      'false',
    ]);
    expect(a.text).to.not.contain('<Marker>').and.not.contain('<NextContinuationToken>').and.not.contain('<Owner>');
    expect(a.text).to.match(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult><Name>bkt<\/Name><Prefix><\/Prefix><MaxKeys>100<\/MaxKeys><Delimiter><\/Delimiter><IsTruncated>false<\/IsTruncated><Contents>/,
    );
    expect(a.text).to.match(/<KeyCount>7<\/KeyCount><\/ListBucketResult>$/);
    expect(xmlFields(a.text, 'LastModified').every((t) => /\.000Z$/.test(t))).to.equal(true);
  });

  it('pages with continuation tokens until IsTruncated is false, echoing the token', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const a = await list(
        `&max-keys=3${token === undefined ? '' : `&continuation-token=${encodeURIComponent(token)}`}`,
      );
      pages += 1;
      if (token !== undefined) expect(xmlField(a.text, 'ContinuationToken')).to.equal(token);
      seen.push(...xmlFields(a.text, 'Key'));
      expect(Number(xmlField(a.text, 'KeyCount'))).to.equal(xmlFields(a.text, 'Key').length);
      if (xmlField(a.text, 'IsTruncated') === 'false') {
        expect(a.text).to.not.contain('<NextContinuationToken>');
        break;
      }
      token = xmlField(a.text, 'NextContinuationToken');
      expect(token).to.be.a('string').and.not.equal('');
    }
    expect([pages, seen]).to.deep.equal([3, keys]);
  });

  it('start-after, prefix and delimiter (a common prefix counts in KeyCount)', async () => {
    const after = await list('&start-after=b');
    expect(xmlFields(after.text, 'Key')).to.deep.equal(['c/x/1', 'c/y', 'd', 'e ü+']);
    expect(xmlField(after.text, 'StartAfter')).to.equal('b');
    const rolled = await list('&delimiter=/');
    expect(xmlFields(rolled.text, 'Key')).to.deep.equal(['b', 'd', 'e ü+']);
    expect(xmlFields(rolled.text, 'Prefix')).to.deep.equal(['', 'a/', 'c/']);
    expect(xmlField(rolled.text, 'KeyCount')).to.equal('5');
    const sub = await list('&prefix=c/&delimiter=/');
    expect([xmlFields(sub.text, 'Key'), xmlFields(sub.text, 'Prefix')]).to.deep.equal([['c/y'], ['c/', 'c/x/']]);
    // paging through common prefixes: the token after "a/" skips the whole subtree
    const first = await list('&delimiter=/&max-keys=1');
    expect(xmlFields(first.text, 'Prefix')).to.deep.equal(['', 'a/']);
    const next = await list(
      `&delimiter=/&max-keys=1&continuation-token=${xmlField(first.text, 'NextContinuationToken')!}`,
    );
    expect(xmlFields(next.text, 'Key')).to.deep.equal(['b']);
  });

  it("fetch-owner=true lists each object's Owner; encoding-type=url encodes keys but not the token", async () => {
    const owned = await list('&fetch-owner=true&max-keys=1');
    expect(owned.text).to.contain(
      '<Owner><ID>oss-stream-local</ID><DisplayName>oss-stream-local</DisplayName></Owner>',
    );
    const enc = await list('&encoding-type=url&start-after=d');
    expect([xmlField(enc.text, 'EncodingType'), xmlFields(enc.text, 'Key')]).to.deep.equal(['url', ['e%20%C3%BC%2B']]);
  });

  it('400 InvalidArgument for a forged token, a list-type other than 2, max-keys over 1000', async () => {
    for (const q of ['&continuation-token=not-ours!', '&max-keys=1001']) {
      const a = await list(q);
      expect([q, a.status, errorCode(a)]).to.deep.equal([q, 400, 'InvalidArgument']);
    }
    const v3 = await call(server, 'GET', '/bkt/?list-type=3');
    expect([v3.status, errorCode(v3)]).to.deep.equal([400, 'InvalidArgument']);
  });
});
