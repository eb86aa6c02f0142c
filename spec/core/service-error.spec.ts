import { expect } from 'chai';
import { serviceErrorFrom } from '../../lib/core/service-error.js';
import { buildErrorXml } from '../../lib/core/xml.js';
import {
  ObjectNotAppendableError,
  OssError,
  OssServiceError,
  PositionNotEqualToLengthError,
} from '../../lib/errors.js';

const NO_SUCH_KEY = `<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <RequestId>5C3D9778CC1C2AEDF85B****</RequestId>
  <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <Key>dir/a b.txt</Key>
  <EC>0026-00000001</EC>
  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0026-00000001</RecommendDoc>
</Error>`;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('core/service-error', () => {
  it('maps an <Error> body to every field, with a human message', () => {
    const headers = {
      'x-oss-request-id': '5C3D9778CC1C2AEDF85B****',
      'content-type': 'application/xml',
      'x-oss-ec': '0026-00000001',
    };
    const err = serviceErrorFrom({ status: 404, headers, body: NO_SUCH_KEY, operation: 'GetObject' });
    expect(err).to.be.instanceOf(OssServiceError);
    expect(err).to.be.instanceOf(OssError);
    expect(err.name).to.equal('OssServiceError');
    expect(err.code).to.equal('NoSuchKey');
    expect(err.status).to.equal(404);
    expect(err.requestId).to.equal('5C3D9778CC1C2AEDF85B****');
    expect(err.hostId).to.equal('examplebucket.oss-cn-hangzhou.aliyuncs.com');
    expect(err.ec).to.equal('0026-00000001');
    expect(err.message).to.equal(
      'GetObject failed: The specified key does not exist. (code NoSuchKey, status 404, EC 0026-00000001, request id 5C3D9778CC1C2AEDF85B****)',
    );
    expect(err.details.body).to.deep.equal({
      Code: 'NoSuchKey',
      Message: 'The specified key does not exist.',
      RequestId: '5C3D9778CC1C2AEDF85B****',
      HostId: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
      Key: 'dir/a b.txt',
      EC: '0026-00000001',
      RecommendDoc: 'https://api.aliyun.com/troubleshoot?q=0026-00000001',
    });
    expect(err.details.headers).to.deep.equal(headers);
    expect(err.details.operation).to.equal('GetObject');
    expect(Object.keys(err)).not.to.include('details');
  });

  it('reads the x-oss-err header when a HEAD answer has no body', () => {
    const xml = buildErrorXml({
      Code: 'NoSuchBucket',
      Message: 'The specified bucket does not exist.',
      RequestId: 'RID-IN-XML',
      HostId: 'nobucket.oss-cn-hangzhou.aliyuncs.com',
      EC: '0015-00000101',
      BucketName: 'nobucket',
    });
    const err = serviceErrorFrom({
      status: 404,
      headers: { 'X-Oss-Err': b64(xml), 'X-Oss-Request-Id': 'RID-HEADER' },
      body: '',
      operation: 'HeadObject',
    });
    expect(err.code).to.equal('NoSuchBucket');
    expect(err.requestId).to.equal('RID-IN-XML');
    expect(err.ec).to.equal('0015-00000101');
    expect(err.details.body?.['BucketName']).to.equal('nobucket');
    expect(err.message).to.equal(
      'HeadObject failed: The specified bucket does not exist. (code NoSuchBucket, status 404, EC 0015-00000101, request id RID-IN-XML)',
    );
  });

  it('prefers the body over x-oss-err and ignores a garbage x-oss-err', () => {
    const other = b64(buildErrorXml({ Code: 'Other' }));
    expect(serviceErrorFrom({ status: 404, headers: { 'x-oss-err': other }, body: NO_SUCH_KEY }).code).to.equal(
      'NoSuchKey',
    );
    const err = serviceErrorFrom({
      status: 403,
      headers: { 'x-oss-err': '!!not base64 xml!!', 'x-oss-request-id': 'R' },
      operation: 'HeadObject',
    });
    expect(err.code).to.equal('UnknownError');
    expect(err.details.body).to.equal(undefined);
  });

  describe('from the status alone', () => {
    const TABLE: Array<[number, string | undefined, string, string]> = [
      [
        404,
        'HeadObject',
        'NoSuchKey',
        'HeadObject failed: The specified key does not exist. (code NoSuchKey, status 404, request id R1)',
      ],
      [
        404,
        'GetObject',
        'NoSuchKey',
        'GetObject failed: The specified key does not exist. (code NoSuchKey, status 404, request id R1)',
      ],
      [
        404,
        'GetObjectMeta',
        'NoSuchKey',
        'GetObjectMeta failed: The specified key does not exist. (code NoSuchKey, status 404, request id R1)',
      ],
      [
        404,
        'UploadPart',
        'UnknownError',
        'UploadPart failed: the service answered HTTP 404 without an error body (code UnknownError, status 404, request id R1)',
      ],
      [
        404,
        'PutObject',
        'UnknownError',
        'PutObject failed: the service answered HTTP 404 without an error body (code UnknownError, status 404, request id R1)',
      ],
      [
        404,
        undefined,
        'UnknownError',
        'the service answered HTTP 404 without an error body (code UnknownError, status 404, request id R1)',
      ],
      [
        412,
        'HeadObject',
        'PreconditionFailed',
        'HeadObject failed: At least one of the pre-conditions you specified did not hold. (code PreconditionFailed, status 412, request id R1)',
      ],
      [
        403,
        'HeadObject',
        'UnknownError',
        'HeadObject failed: the service answered HTTP 403 without an error body (code UnknownError, status 403, request id R1)',
      ],
      [
        503,
        'PutObject',
        'UnknownError',
        'PutObject failed: the service answered HTTP 503 without an error body (code UnknownError, status 503, request id R1)',
      ],
    ];
    for (const [status, operation, code, message] of TABLE) {
      it(`${status} ${operation ?? '(no operation)'} → ${code}`, () => {
        const err = serviceErrorFrom({ status, headers: { 'x-oss-request-id': 'R1' }, operation });
        expect(err.constructor).to.equal(OssServiceError);
        expect(err.code).to.equal(code);
        expect(err.status).to.equal(status);
        expect(err.requestId).to.equal('R1');
        expect(err.message).to.equal(message);
      });
    }

    it('omits the request id when there is none and takes EC from x-oss-ec', () => {
      const err = serviceErrorFrom({ status: 500, headers: { 'x-oss-ec': '0002-00000001' }, body: '   ' });
      expect(err.requestId).to.equal(undefined);
      expect(err.ec).to.equal('0002-00000001');
      expect(err.message).to.equal(
        'the service answered HTTP 500 without an error body (code UnknownError, status 500, EC 0002-00000001)',
      );
    });

    it('quotes a short snippet of a non-XML body (a proxy page)', () => {
      const html = `<html>\n<head><title>502 Bad Gateway</title></head>\n<body>${'x'.repeat(300)}</body></html>`;
      const err = serviceErrorFrom({ status: 502, headers: {}, body: html, operation: 'UploadPart' });
      expect(err.code).to.equal('UnknownError');
      expect(err.message).to.match(
        /^UploadPart failed: the service answered HTTP 502 with a body that is not an OSS error: "<html> <head><title>502 Bad Gateway<\/title><\/head> <body>x+…" \(code UnknownError, status 502\)$/,
      );
      expect(err.message.length).to.be.below(260);
    });
  });

  describe('typed subclasses', () => {
    it('PositionNotEqualToLength carries nextPosition from x-oss-next-append-position', () => {
      const body = buildErrorXml({
        Code: 'PositionNotEqualToLength',
        Message: 'Position is not equal to file length',
        RequestId: 'R2',
        HostId: 'h',
        EC: '0026-00000016',
      });
      const err = serviceErrorFrom({
        status: 409,
        headers: { 'x-oss-next-append-position': '1048576' },
        body,
        operation: 'AppendObject',
      });
      expect(err).to.be.instanceOf(PositionNotEqualToLengthError);
      expect(err).to.be.instanceOf(OssServiceError);
      expect((err as PositionNotEqualToLengthError).nextPosition).to.equal(1048576);
      expect(err.name).to.equal('PositionNotEqualToLengthError');
      expect(err.message).to.equal(
        'AppendObject failed: Position is not equal to file length (code PositionNotEqualToLength, status 409, EC 0026-00000016, request id R2)',
      );
      expect(err.details.body?.['EC']).to.equal('0026-00000016');
    });

    it('PositionNotEqualToLength without a usable header has nextPosition -1', () => {
      const body = buildErrorXml({ Code: 'PositionNotEqualToLength', Message: 'm' });
      const cases: Array<Record<string, string>> = [
        {},
        { 'x-oss-next-append-position': 'abc' },
        { 'x-oss-next-append-position': '-5' },
      ];
      for (const headers of cases) {
        const err = serviceErrorFrom({ status: 409, headers, body }) as PositionNotEqualToLengthError;
        expect(err.nextPosition).to.equal(-1);
      }
    });

    it('PositionNotEqualToLength from a HEAD-style x-oss-err still gets nextPosition', () => {
      const err = serviceErrorFrom({
        status: 409,
        headers: {
          'x-oss-err': b64(buildErrorXml({ Code: 'PositionNotEqualToLength', Message: 'm' })),
          'X-OSS-Next-Append-Position': '5',
        },
      });
      expect((err as PositionNotEqualToLengthError).nextPosition).to.equal(5);
    });

    it('ObjectNotAppendable becomes ObjectNotAppendableError', () => {
      const body = buildErrorXml({
        Code: 'ObjectNotAppendable',
        Message: 'The object is not appendable',
        RequestId: 'R3',
        EC: '0026-00000017',
      });
      const err = serviceErrorFrom({ status: 409, headers: {}, body, operation: 'AppendObject' });
      expect(err).to.be.instanceOf(ObjectNotAppendableError);
      expect(err.code).to.equal('ObjectNotAppendable');
      expect(err.name).to.equal('ObjectNotAppendableError');
    });
  });

  it('names the argument of InvalidArgument errors', () => {
    const body = buildErrorXml({
      Code: 'InvalidArgument',
      Message: 'Part number must be an integer between 1 and 10000, inclusive.',
      RequestId: 'R4',
      ArgumentName: 'partNumber',
      ArgumentValue: '0',
    });
    const err = serviceErrorFrom({ status: 400, headers: {}, body, operation: 'UploadPart' });
    expect(err.message).to.equal(
      'UploadPart failed: Part number must be an integer between 1 and 10000, inclusive. [partNumber=0] (code InvalidArgument, status 400, request id R4)',
    );
  });

  it('keeps signature debugging data in details, out of the message and away from header values', () => {
    const body = buildErrorXml({
      Code: 'SignatureDoesNotMatch',
      Message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      RequestId: 'R5',
      HostId: 'h',
      OSSAccessKeyId: 'LTAI-access-key-id',
      SignatureProvided: 'PROVIDED-SIGNATURE=',
      StringToSign: 'PUT\n\n\nWed, 28 Dec 2022 10:27:41 GMT\n/b/k',
      EC: '0002-00000040',
    });
    const headers = {
      authorization: 'OSS LTAI-access-key-id:secret-signature',
      'set-cookie': 'session=secret',
      'x-oss-request-id': 'R5',
    };
    const err = serviceErrorFrom({ status: 403, headers, body, operation: 'PutObject' });
    expect(err.code).to.equal('SignatureDoesNotMatch');
    expect(err.details.body?.['StringToSign']).to.equal('PUT\n\n\nWed, 28 Dec 2022 10:27:41 GMT\n/b/k');
    for (const secret of [
      'secret-signature',
      'session=secret',
      'PROVIDED-SIGNATURE',
      'LTAI-access-key-id',
      'StringToSign',
      '/b/k',
    ]) {
      expect(err.message).not.to.contain(secret);
      expect(String(err.stack)).not.to.contain(secret);
    }
    expect(JSON.stringify(err)).not.to.contain('secret');
  });

  it('uses the XML Code even on a 2xx-looking 203 CallbackFailed', () => {
    const body = buildErrorXml({
      Code: 'CallbackFailed',
      Message: 'Error status : 301.',
      RequestId: 'R6',
      EC: '0007-00000203',
    });
    const err = serviceErrorFrom({ status: 203, headers: {}, body, operation: 'CompleteMultipartUpload' });
    expect(err.code).to.equal('CallbackFailed');
    expect(err.status).to.equal(203);
    expect(err.ec).to.equal('0007-00000203');
  });
});
