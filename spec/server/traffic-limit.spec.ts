import { expect } from 'chai';
import type { OssServer } from '../../lib/server/index.js';
import { MAX_TRAFFIC_LIMIT, MIN_TRAFFIC_LIMIT, Throttle } from '../../lib/server/traffic-limit.js';
import { md5Etag, pattern } from '../support/bytes.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, errorCode, xmlField } from '../support/raw-http.js';

/** Milliseconds `size` bytes take at least at `bitsPerSecond`. */
function floorMs(size: number, bitsPerSecond: number): number {
  return (size * 8 * 1000) / bitsPerSecond;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

describe('server x-oss-traffic-limit', function () {
  this.timeout(30_000);
  let server: OssServer;
  const data = pattern(100 * 1024 + 17);
  const limit = { 'x-oss-traffic-limit': String(MIN_TRAFFIC_LIMIT) };
  // The pace is 100 KiB/s: an upload of `data` cannot be answered sooner than this, whatever the chunking.
  const bound = floorMs(data.length, MIN_TRAFFIC_LIMIT) - 5;
  // A download is complete when its last byte arrives, and the last slice goes out when the rest is due.
  const downloadBound = floorMs(data.length - new Throttle(MIN_TRAFFIC_LIMIT).sliceBytes, MIN_TRAFFIC_LIMIT) - 5;

  before(async () => {
    server = await startAnonymousServer();
  });
  after(() => server.close());

  it('paces bytes from the first one: n bytes are due n × 8 / rate seconds after the start', () => {
    const t = new Throttle(8000); // 1 byte per ms
    expect(t.pending()).to.equal(0);
    const first = t.take(100);
    expect(first).to.be.within(99, 100);
    expect(t.pending()).to.be.within(99, 100);
    expect([new Throttle(MIN_TRAFFIC_LIMIT).sliceBytes, new Throttle(MAX_TRAFFIC_LIMIT).sliceBytes]).to.deep.equal([
      2048, 2097152,
    ]);
  });

  it('throttles a PutObject body to the limit, storing it byte-exact', async () => {
    const [put, ms] = await timed(() => call(server, 'PUT', '/bkt/slow-put', { body: data, headers: limit }));
    expect([put.status, put.headers['etag']]).to.deep.equal([200, md5Etag(data)]);
    expect(ms).to.be.at.least(bound);
  });

  it('throttles a GetObject answer to the limit', async () => {
    await call(server, 'PUT', '/bkt/slow-get', { body: data });
    const [get, ms] = await timed(() => call(server, 'GET', '/bkt/slow-get', { headers: limit }));
    expect([get.status, get.body.equals(data)]).to.deep.equal([200, true]);
    expect(ms).to.be.at.least(downloadBound);
    // As a query parameter (presigned URLs) too.
    const [viaQuery, queryMs] = await timed(() =>
      call(server, 'GET', `/bkt/slow-get?x-oss-traffic-limit=${MIN_TRAFFIC_LIMIT}`),
    );
    expect(viaQuery.body.equals(data)).to.equal(true);
    expect(queryMs).to.be.at.least(downloadBound);
  });

  it('throttles UploadPart and AppendObject bodies', async () => {
    const init = await call(server, 'POST', '/bkt/slow-mp?uploads');
    const uploadId = xmlField(init.text, 'UploadId')!;
    const [part, partMs] = await timed(() =>
      call(server, 'PUT', `/bkt/slow-mp?partNumber=1&uploadId=${uploadId}`, { body: data, headers: limit }),
    );
    expect(part.status).to.equal(200);
    expect(partMs).to.be.at.least(bound);
    const [append, appendMs] = await timed(() =>
      call(server, 'POST', '/bkt/slow-append?append&position=0', { body: data, headers: limit }),
    );
    expect(append.status).to.equal(200);
    expect(appendMs).to.be.at.least(bound);
  });

  it('answers 400 InvalidArgument outside 819200..838860800 bit/s, storing nothing', async () => {
    for (const value of [String(MIN_TRAFFIC_LIMIT - 1), String(MAX_TRAFFIC_LIMIT + 1), '1e6', 'fast', '']) {
      const a = await call(server, 'PUT', '/bkt/bad-limit', { body: 'x', headers: { 'x-oss-traffic-limit': value } });
      expect([value, a.status, errorCode(a), xmlField(a.text, 'ArgumentName')]).to.deep.equal([
        value,
        400,
        'InvalidArgument',
        'x-oss-traffic-limit',
      ]);
    }
    expect((await call(server, 'HEAD', '/bkt/bad-limit')).status).to.equal(404);
    const top = await call(server, 'PUT', '/bkt/fast-enough', {
      body: 'x',
      headers: { 'x-oss-traffic-limit': String(MAX_TRAFFIC_LIMIT) },
    });
    expect(top.status).to.equal(200);
  });
});
