import { expect } from 'chai';
import { OssAbortError, OssArgumentError, OssError, OssIntegrityError, OssServiceError } from 'oss-stream';
import { md5Etag, oracleCrc, pattern, readAll, rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

const KiB = 1024;

describe('api/get-object', () => {
  const oss = useLocalOss();
  const data = pattern(700 * KiB + 9, 1);

  before(async () => {
    await oss.bucket.putObject('object.bin', data);
  });

  it('a full read streams the bytes and verifies the CRC64 on the way', async () => {
    const r = await oss.bucket.getObject('object.bin');
    expect(r).to.deep.include({
      status: 200,
      size: data.length,
      etag: md5Etag(data),
      crc64: oracleCrc(data),
      contentRange: undefined,
    });
    expect(r.contentType).to.equal('application/octet-stream');
    expect((await readAll(r.body)).equals(data)).to.equal(true);
  });

  it('a range { start, end } is inclusive and answered 206 with Content-Range', async () => {
    const r = await oss.bucket.getObject('object.bin', { range: { start: 100, end: 199 } });
    expect([r.status, r.size, r.contentRange]).to.deep.equal([206, 100, `bytes 100-199/${data.length}`]);
    expect(await readAll(r.body)).to.deep.equal(data.subarray(100, 200));
  });

  it('a range { start } reads to the end; a range past 4 GiB arithmetic is just a header', async () => {
    const r = await oss.bucket.getObject('object.bin', { range: { start: data.length - 10 } });
    expect([r.status, r.size]).to.deep.equal([206, 10]);
    expect(await readAll(r.body)).to.deep.equal(data.subarray(data.length - 10));
    // an unsatisfiable range start (beyond the object) is answered with the whole object, still CRC-checked
    const whole = await oss.bucket.getObject('object.bin', { range: { start: 5 * 1024 ** 3 } });
    expect([whole.status, whole.size]).to.deep.equal([200, data.length]);
    expect((await readAll(whole.body)).length).to.equal(data.length);
  });

  it('a CRC64 that does not match the bytes read fails the body with OssIntegrityError', async () => {
    oss.server.faults.add({ op: 'GetObject', action: { type: 'corrupt-crc64' } });
    const r = await oss.bucket.getObject('object.bin');
    const e = await rejection(readAll(r.body));
    expect(e).to.be.instanceOf(OssIntegrityError);
    // as everywhere: expected = what the client computed, actual = what the server reported
    expect([e.code, e.expected, e.actual]).to.deep.equal([
      'InconsistentCrc64',
      oracleCrc(data),
      (BigInt(oracleCrc(data)) ^ 1n).toString(),
    ]);
  });

  it('a connection reset mid-body reaches the reader as an error', async () => {
    oss.server.faults.add({ op: 'GetObject', action: { type: 'reset', afterBytes: 100 * KiB } });
    const r = await oss.bucket.getObject('object.bin');
    const e = await rejection(readAll(r.body));
    expect(e).to.be.instanceOf(OssError);
    expect([e.code, e.status]).to.deep.equal(['NetworkError', -1]);
    expect(e.message).to.match(/^GetObject object\.bin: the connection failed while reading the body: /);
    expect(e.cause).to.be.instanceOf(Error);
  });

  it('a reader that stops early releases the connection (pool of one keeps working)', async () => {
    const single = oss.client({ connectionPoolSize: 1 });
    for (let i = 0; i < 3; i++) {
      const r = await single.getObject('object.bin');
      for await (const chunk of r.body) {
        expect(chunk.length).to.be.greaterThan(0);
        break; // destroys the body
      }
    }
    const h = await Promise.race([
      single.headObject('object.bin'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('connection leaked')), 3000)),
    ]);
    expect((h as { size: number }).size).to.equal(data.length);
  });

  it('an abort while reading is an OssAbortError', async () => {
    const ac = new AbortController();
    const r = await oss.bucket.getObject('object.bin', { signal: ac.signal });
    const e = await rejection(
      (async () => {
        for await (const _ of r.body) ac.abort();
      })(),
    );
    expect(e).to.be.instanceOf(OssAbortError);
    expect(e.name).to.equal('AbortError');
  });

  it('a missing object is NoSuchKey', async () => {
    const e = await rejection(oss.bucket.getObject('missing.bin'));
    expect([e.constructor, e.code, e.status]).to.deep.equal([OssServiceError, 'NoSuchKey', 404]);
    expect(e).to.be.instanceOf(OssError);
  });

  it('a bad range or key is an argument error, nothing sent', async () => {
    for (const range of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { start: 0, end: Number.NaN }]) {
      const e = await rejection(oss.bucket.getObject('object.bin', { range }));
      expect(e).to.be.instanceOf(OssArgumentError);
      expect(e.message).to.equal('range must be { start ≥ 0, end ≥ start } (inclusive)');
    }
    expect(await rejection(oss.bucket.getObject(''))).to.be.instanceOf(OssArgumentError);
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
