import { expect } from 'chai';
import { Readable } from 'node:stream';
import { OssIntegrityError } from 'oss-stream';
import type { HttpResponse } from '../../lib/core/http.js';
import { baseResult, etagOf, verifyCrc64 } from '../../lib/api/result.js';
import { rejection } from '../support/bytes.js';

/** An answer as the transport hands it over (data only; nothing is sent). */
function answer(status: number, headers: Record<string, string>): HttpResponse {
  return {
    status,
    headers,
    requestId: headers['x-oss-request-id'],
    body: Readable.from([]),
    text: async () => '',
    dump: async () => {},
    attempts: 1,
  };
}

describe('api/result', () => {
  it('baseResult keeps status, request id and headers; etagOf the quoted ETag', () => {
    const res = answer(200, { 'x-oss-request-id': 'R1', etag: '"ABC"' });
    expect(baseResult(res)).to.deep.equal({ status: 200, requestId: 'R1', headers: res.headers });
    expect(etagOf(res)).to.equal('"ABC"');
    expect(baseResult(answer(204, {}))).to.deep.equal({ status: 204, requestId: '', headers: {} });
    expect(etagOf(answer(200, {}))).to.equal('');
  });

  it('verifyCrc64 accepts equal values (leading zeros too) and a missing header', () => {
    verifyCrc64('123', answer(200, { 'x-oss-hash-crc64ecma': '123' }), 'x');
    verifyCrc64('123', answer(200, { 'x-oss-hash-crc64ecma': '0123' }), 'x');
    verifyCrc64('123', answer(200, {}), 'x');
  });

  it('verifyCrc64 throws OssIntegrityError with expected (client) and actual (server) on a mismatch or garbage', async () => {
    const e = await rejection(
      (async () =>
        verifyCrc64('123', answer(200, { 'x-oss-hash-crc64ecma': '124', 'x-oss-request-id': 'R2' }), 'PutObject k'))(),
    );
    expect(e).to.be.instanceOf(OssIntegrityError);
    expect([e.code, e.expected, e.actual, e.status, e.requestId]).to.deep.equal([
      'InconsistentCrc64',
      '123',
      '124',
      200,
      'R2',
    ]);
    expect(e.message).to.equal('PutObject k: CRC64 mismatch, the client computed 123 but the server reports 124');
    expect(() => verifyCrc64('123', answer(200, { 'x-oss-hash-crc64ecma': 'garbage' }), 'x')).to.throw(
      OssIntegrityError,
    );
  });
});
