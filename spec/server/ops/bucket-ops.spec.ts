import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../../support/raw-http.js';

describe('server ListBuckets paging', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ buckets: ['keep-1', 'test-a', 'test-b', 'test-c', 'zzz'] });
  });
  after(() => server.close());

  it('answers every bucket and no paging fields when the request does not page', async () => {
    const all = await call(server, 'GET', '/');
    expect(xmlFields(all.text, 'Name')).to.deep.equal(['keep-1', 'test-a', 'test-b', 'test-c', 'zzz']);
    expect([xmlField(all.text, 'IsTruncated'), xmlField(all.text, 'Prefix')]).to.deep.equal([undefined, undefined]);
  });

  it('filters by prefix, so a cleanup by prefix never sees other buckets', async () => {
    const a = await call(server, 'GET', '/?prefix=test-');
    expect(xmlFields(a.text, 'Name')).to.deep.equal(['test-a', 'test-b', 'test-c']);
    expect([xmlField(a.text, 'Prefix'), xmlField(a.text, 'IsTruncated'), xmlField(a.text, 'NextMarker')]).to.deep.equal(
      ['test-', 'false', undefined],
    );
  });

  it('pages with max-keys and marker, answering IsTruncated and NextMarker', async () => {
    const names: string[] = [];
    let marker = '';
    for (let pages = 0; pages < 10; pages++) {
      const a = await call(server, 'GET', `/?prefix=test-&max-keys=2&marker=${encodeURIComponent(marker)}`);
      expect([xmlField(a.text, 'MaxKeys'), xmlField(a.text, 'Marker') ?? '']).to.deep.equal(['2', marker]);
      names.push(...xmlFields(a.text, 'Name'));
      if (xmlField(a.text, 'IsTruncated') !== 'true') break;
      marker = xmlField(a.text, 'NextMarker')!;
      expect(marker).to.equal(names[names.length - 1]);
    }
    expect(names).to.deep.equal(['test-a', 'test-b', 'test-c']);
    const after = await call(server, 'GET', '/?marker=test-c');
    expect(xmlFields(after.text, 'Name')).to.deep.equal(['zzz']);
  });

  it('refuses max-keys outside 1..1000 with 400 InvalidArgument', async () => {
    for (const v of ['0', '1001', 'x']) {
      const a = await call(server, 'GET', `/?max-keys=${v}`);
      expect([v, a.status, errorCode(a)]).to.deep.equal([v, 400, 'InvalidArgument']);
    }
  });
});
