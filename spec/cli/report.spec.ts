import { expect } from 'chai';
import { OssError, OssServiceError } from 'oss-stream';
import { errorLine, summaryLine } from '../../lib/cli/report.js';

describe('cli/report', () => {
  it('writes the summary line with size, time, rate, details, etag, crc64 and request id', () => {
    expect(
      summaryLine({
        action: 'uploaded',
        source: 'db.tar',
        target: 'oss://b/db.tar',
        bytes: 3 * 1024 * 1024,
        sentBytes: 2 * 1024 * 1024,
        seconds: 2,
        details: ['multipart, 3 parts', 'resumed: 1048576 bytes were already stored'],
        etag: '"E-3"',
        crc64: '42',
        requestId: 'RID',
      }),
    ).to.equal(
      'uploaded db.tar to oss://b/db.tar: 3145728 bytes (3.0 MiB) in 2.00 s, 1.0 MiB/s, multipart, 3 parts, resumed: 1048576 bytes were already stored, etag "E-3", crc64 42, request id RID',
    );
  });

  it('puts an error on one line with its code and request id, once', () => {
    const service = new OssServiceError(
      'PutObject failed: The specified bucket\ndoes not exist. (code NoSuchBucket, status 404, request id R1)',
      { code: 'NoSuchBucket', status: 404, requestId: 'R1' },
    );
    expect(errorLine(service)).to.equal(
      'oss-stream cp: NoSuchBucket: PutObject failed: The specified bucket does not exist. (code NoSuchBucket, status 404, request id R1)',
    );
    const bare = new OssServiceError('denied', { code: 'AccessDenied', status: 403, requestId: 'R2' });
    expect(errorLine(bare)).to.equal('oss-stream cp: AccessDenied: denied (request id R2)');
    const network = new OssError('Network error (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:9', {
      code: 'NetworkError',
    });
    expect(errorLine(network)).to.equal(
      'oss-stream cp: NetworkError: Network error (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:9 — is the endpoint right and reachable? (--endpoint or OSS_ENDPOINT)',
    );
    const fsError = Object.assign(new Error("ENOENT: no such file or directory, stat 'x'"), { code: 'ENOENT' });
    expect(errorLine(fsError)).to.equal("oss-stream cp: ENOENT: no such file or directory, stat 'x'");
    expect(errorLine(new TypeError('bad'))).to.equal('oss-stream cp: TypeError: bad');
    expect(errorLine('odd')).to.equal('oss-stream cp: odd');
  });
});
