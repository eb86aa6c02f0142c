import { expect } from 'chai';
import { Readable } from 'node:stream';
import { OssCallbackError, OssServiceError } from 'oss-stream';
import type { HttpResponse } from '../../lib/core/http.js';
import { callbackAnswer } from '../../lib/api/callback-result.js';

function answer(status: number, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers,
    requestId: 'R',
    body: Readable.from([]),
    text: async () => '',
    dump: async () => {},
    attempts: 1,
  };
}

describe('api/callback-result', () => {
  const result = { status: 203, requestId: 'REQ', etag: '"E"' };

  it('a 200 answer is the callback server body', () => {
    expect(callbackAnswer(answer(200), '{"ok":true}', result, 'PutObject')).to.equal('{"ok":true}');
  });

  it('a 203 is an OssCallbackError: code, message, EC and the (non-enumerable) result', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>CallbackFailed</Code><Message>Error status : 502.</Message>' +
      '<RequestId>REQ</RequestId><EC>0007-00000203</EC></Error>';
    let caught: unknown;
    try {
      callbackAnswer(answer(203), xml, result, 'CompleteMultipartUpload');
    } catch (err) {
      caught = err;
    }
    const e = caught as OssCallbackError<typeof result>;
    expect(e).to.be.instanceOf(OssCallbackError);
    expect(e).to.be.instanceOf(OssServiceError);
    expect([e.code, e.status, e.requestId, e.ec]).to.deep.equal(['CallbackFailed', 203, 'REQ', '0007-00000203']);
    expect(e.result).to.equal(result);
    expect(Object.keys(e)).to.not.include('result');
    expect(e.message).to.equal(
      'CompleteMultipartUpload: the object is stored, but its upload callback failed: Error status : 502. (code CallbackFailed, request id REQ)',
    );
    expect(e.details.body).to.deep.include({ Code: 'CallbackFailed' });
  });

  it('a 203 without a parsable body still says the object is stored', () => {
    expect(() => callbackAnswer(answer(203, { 'x-oss-ec': '0007-1' }), '', result, 'PutObject')).to.throw(
      OssCallbackError,
      'PutObject: the object is stored, but its upload callback failed: the upload callback failed (code CallbackFailed, request id REQ)',
    );
  });
});
