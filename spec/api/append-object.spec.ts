import { expect } from 'chai';
import { Readable } from 'node:stream';
import {
  ObjectNotAppendableError,
  OssArgumentError,
  OssIntegrityError,
  OssServiceError,
  PositionNotEqualToLengthError,
} from 'oss-stream';
import { oracleCrc, pattern, recorder, rejection } from '../support/bytes.js';
import { download, useLocalOss } from '../support/local-oss.js';

const GiB = 1024 ** 3;

describe('api/append-object', () => {
  const oss = useLocalOss();

  it('appends at 0 then at nextPosition; the CRC chain (initCrc) is verified and the object is Appendable', async () => {
    const first = await oss.bucket.appendObject('append.txt', 0, 'content of first append');
    expect(first).to.deep.include({
      status: 200,
      nextPosition: 23,
      size: 23,
      crc64: oracleCrc('content of first append'),
      appendedCrc64: oracleCrc('content of first append'),
    });
    const second = await oss.bucket.appendObject('append.txt', first.nextPosition, 'content of second append', {
      initCrc: first.crc64,
    });
    const whole = 'content of first appendcontent of second append';
    expect(second).to.deep.include({
      nextPosition: whole.length,
      size: 24,
      crc64: oracleCrc(whole),
      appendedCrc64: oracleCrc('content of second append'),
    });
    expect(second.etag).to.match(/^"[0-9A-F]{32}"$/);
    const head = await oss.bucket.headObject('append.txt');
    expect([head.objectType, head.nextAppendPosition, head.size, head.crc64]).to.deep.equal([
      'Appendable',
      whole.length,
      whole.length,
      oracleCrc(whole),
    ]);
    expect((await download(oss.bucket, 'append.txt')).toString()).to.equal(whole);
  });

  it('a chain over every data source, bytes exact', async () => {
    const parts: Array<[Parameters<typeof oss.bucket.appendObject>[2], Buffer]> = [
      ['α', Buffer.from('α')],
      [pattern(70_000, 1), pattern(70_000, 1)],
      [Readable.from([pattern(1000, 2), 'x']), Buffer.concat([pattern(1000, 2), Buffer.from('x')])],
      [
        (async function* () {
          yield pattern(5, 3);
        })(),
        pattern(5, 3),
      ],
      [[], Buffer.alloc(0)],
    ];
    let pos = 0;
    let crc = '0';
    for (const [data, bytes] of parts) {
      const r = await oss.bucket.appendObject('chain.bin', pos, data, { initCrc: crc });
      expect(r.size).to.equal(bytes.length);
      pos = r.nextPosition;
      crc = r.crc64;
    }
    const all = Buffer.concat(parts.map(([, b]) => b));
    expect([pos, crc]).to.deep.equal([all.length, oracleCrc(all)]);
    expect((await download(oss.bucket, 'chain.bin')).equals(all)).to.equal(true);
  });

  it('PositionNotEqualToLength is typed and carries nextPosition', async () => {
    await oss.bucket.appendObject('pos.txt', 0, 'abc');
    const e = await rejection(oss.bucket.appendObject('pos.txt', 1, 'x'));
    expect(e).to.be.instanceOf(PositionNotEqualToLengthError);
    expect(e).to.be.instanceOf(OssServiceError);
    expect([e.code, e.status, (e as unknown as PositionNotEqualToLengthError).nextPosition]).to.deep.equal([
      'PositionNotEqualToLength',
      409,
      3,
    ]);
    const retried = await oss.bucket.appendObject(
      'pos.txt',
      (e as unknown as PositionNotEqualToLengthError).nextPosition,
      'd',
    );
    expect(retried.nextPosition).to.equal(4);
  });

  it('ObjectNotAppendable is typed (a Normal object cannot be appended to)', async () => {
    await oss.bucket.putObject('normal.txt', 'put');
    const e = await rejection(oss.bucket.appendObject('normal.txt', 0, 'x'));
    expect(e).to.be.instanceOf(ObjectNotAppendableError);
    expect([e.code, e.status]).to.deep.equal(['ObjectNotAppendable', 409]);
  });

  it('a position-0 append is CRC-checked without initCrc (the object is new)', async () => {
    oss.server.faults.add({ op: 'AppendObject', action: { type: 'corrupt-crc64' } });
    const e = await rejection(oss.bucket.appendObject('corrupt0.txt', 0, 'abc'));
    expect(e).to.be.instanceOf(OssIntegrityError);
    expect([e.expected, e.actual]).to.deep.equal([oracleCrc('abc'), (BigInt(oracleCrc('abc')) ^ 1n).toString()]);
  });

  it('with initCrc, a corrupted whole-object CRC or a wrong chain is an OssIntegrityError', async () => {
    const a = await oss.bucket.appendObject('corrupt.txt', 0, 'abc');
    oss.server.faults.add({ op: 'AppendObject', action: { type: 'corrupt-crc64' } });
    const e = await rejection(oss.bucket.appendObject('corrupt.txt', 3, 'def', { initCrc: a.crc64 }));
    expect(e).to.be.instanceOf(OssIntegrityError);
    expect(e.expected).to.equal(oracleCrc('abcdef'));
    // the append did land (the fault only garbles the header); a stale initCrc is caught too
    const e2 = await rejection(oss.bucket.appendObject('corrupt.txt', 6, 'g', { initCrc: a.crc64 }));
    expect(e2).to.be.instanceOf(OssIntegrityError);
    expect(e2.actual).to.equal(oracleCrc('abcdefg'));
  });

  it('without initCrc past position 0, the server CRC is returned unchecked', async () => {
    await oss.bucket.appendObject('unchecked.txt', 0, 'abc');
    oss.server.faults.add({ op: 'AppendObject', action: { type: 'corrupt-crc64' } });
    const r = await oss.bucket.appendObject('unchecked.txt', 3, 'def');
    expect(r.crc64).to.equal((BigInt(oracleCrc('abcdef')) ^ 1n).toString());
    expect(r.appendedCrc64).to.equal(oracleCrc('def'));
  });

  it('is not retried by default (a lost answer would make a retry fail), opt in with retries', async () => {
    oss.server.faults.add({ op: 'AppendObject', action: { type: 'error' } });
    const e = await rejection(oss.bucket.appendObject('retry.txt', 0, 'abc'));
    expect([e.code, e.status]).to.deep.equal(['InternalError', 500]);
    expect(oss.server.stats.op('AppendObject').requests).to.equal(1);
    oss.server.faults.add({ op: 'AppendObject', action: { type: 'error' } });
    const r = await oss.bucket.appendObject('retry.txt', 0, 'abc', { retries: 1 });
    expect([r.nextPosition, oss.server.stats.op('AppendObject').requests]).to.deep.equal([3, 3]);
  });

  it('progress is monotonic and ends at (size, size)', async () => {
    const p = recorder();
    const data = pattern(200_000, 5);
    const r = await oss.bucket.appendObject('progress.bin', 0, data, { onProgress: p.cb });
    expect(r.etag).to.match(/^"[0-9A-F]{32}"$/);
    for (let i = 1; i < p.calls.length; i++) expect(p.calls[i]![0]).to.be.greaterThan(p.calls[i - 1]![0]);
    expect(p.calls.at(-1)).to.deep.equal([200_000, 200_000]);
  });

  it('the first append stores headers and metadata', async () => {
    await oss.bucket.appendObject('log.json', 0, '{}', { headers: { 'x-oss-meta-source': 'spec' } });
    const h = await oss.bucket.headObject('log.json');
    expect([h.contentType, h.meta]).to.deep.equal(['application/json; charset=utf-8', { source: 'spec' }]);
  });

  describe('validation before any byte is sent', () => {
    const cases: Array<[string, () => Promise<unknown>, string, string, string?]> = [
      [
        'a negative position',
        () => oss.bucket.appendObject('k', -1, 'x'),
        'position',
        'append position must be an integer from 0 to 5368709120, got -1',
      ],
      [
        'a fractional position',
        () => oss.bucket.appendObject('k', 1.5, 'x'),
        'position',
        'append position must be an integer from 0 to 5368709120, got 1.5',
      ],
      [
        'a position past 5 GiB',
        () => oss.bucket.appendObject('k', 5 * GiB + 1, 'x'),
        'position',
        'append position must be an integer from 0 to 5368709120, got 5368709121',
      ],
      [
        'an initCrc that is not a CRC',
        () => oss.bucket.appendObject('k', 0, 'x', { initCrc: 'abc' }),
        'initCrc',
        "initCrc must be a decimal CRC64 string (the previous append's crc64), got abc",
      ],
      [
        'an initCrc over 2^64',
        () => oss.bucket.appendObject('k', 0, 'x', { initCrc: '18446744073709551616' }),
        'initCrc',
        "initCrc must be a decimal CRC64 string (the previous append's crc64), got 18446744073709551616",
      ],
      [
        'an append that would pass 5 GiB',
        () => oss.bucket.appendObject('k', 5 * GiB - 10, Buffer.alloc(11)),
        'data',
        'the data is 11 bytes; the limit is 10 bytes (an appendable object holds at most 5368709120 bytes and this append starts at 5368709110)',
        'EntityTooLarge',
      ],
      [
        'a declared length that would pass 5 GiB',
        () => oss.bucket.appendObject('k', GiB, Readable.from(['x']), { contentLength: 4 * GiB + 1 }),
        'data',
        'contentLength is 4294967297 bytes; the limit is 4294967296 bytes (an appendable object holds at most 5368709120 bytes and this append starts at 1073741824)',
        'EntityTooLarge',
      ],
      [
        'a bad key',
        () => oss.bucket.appendObject('\\k', 0, 'x'),
        'key',
        `object key "\\\\k" must not start with '/' or '\\'`,
      ],
    ];
    for (const [name, call, argument, message, code] of cases) {
      it(`${name} → OssArgumentError, 0 requests`, async () => {
        const e = await rejection(call());
        expect(e).to.be.instanceOf(OssArgumentError);
        expect([e.argument, e.message, e.code]).to.deep.equal([
          argument,
          message,
          code ?? (argument === 'key' ? 'InvalidObjectName' : 'InvalidArgument'),
        ]);
        expect(oss.server.stats.total.requests).to.equal(0);
      });
    }
  });
});
