import { expect } from 'chai';
import type { OssServer } from '../../lib/server/index.js';
import { xmlTime } from '../../lib/server/time-format.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, xmlFields } from '../support/raw-http.js';

const OSS_XML_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;
const RFC_1123 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('server time formats', () => {
  it('writes XML dates with .000 milliseconds, dropping (not rounding) the real ones', () => {
    expect(xmlTime(Date.UTC(2026, 11, 5, 17, 5, 34, 755))).to.equal('2026-12-05T17:05:34.000Z');
    expect(xmlTime(Date.UTC(2026, 11, 31, 23, 59, 59, 999))).to.equal('2026-12-31T23:59:59.000Z');
  });

  describe('over the wire', () => {
    let server: OssServer;
    before(async () => {
      server = await startAnonymousServer();
      await call(server, 'PUT', '/bkt/a.txt', { body: 'abc' });
    });
    after(() => server.close());

    it('uses the form oss2 parses in ListObjects, ListBuckets, ListMultipartUploads and ListParts', async () => {
      const init = await call(server, 'POST', '/bkt/mp?uploads');
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
      await call(server, 'PUT', `/bkt/mp?partNumber=1&uploadId=${uploadId}`, { body: 'part' });
      const dates = [
        ...xmlFields((await call(server, 'GET', '/bkt/')).text, 'LastModified'),
        ...xmlFields((await call(server, 'GET', '/')).text, 'CreationDate'),
        ...xmlFields((await call(server, 'GET', '/bkt/?uploads')).text, 'Initiated'),
        ...xmlFields((await call(server, 'GET', `/bkt/mp?uploadId=${uploadId}`)).text, 'LastModified'),
      ];
      expect(dates).to.have.length(4);
      for (const d of dates) expect(d).to.match(OSS_XML_TIME);
      // The listed time is the one HEAD reports, to the second.
      const head = await call(server, 'HEAD', '/bkt/a.txt');
      expect(Date.parse(String(head.headers['last-modified']))).to.equal(Date.parse(dates[0]!));
    });

    it('sends Last-Modified and Date as RFC 1123 and x-oss-server-time as whole milliseconds', async () => {
      const head = await call(server, 'HEAD', '/bkt/a.txt');
      expect(head.headers['last-modified']).to.match(RFC_1123);
      expect(head.headers['date']).to.match(RFC_1123);
      expect(head.headers['x-oss-server-time']).to.match(/^\d+$/);
    });
  });
});
