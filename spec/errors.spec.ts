import { expect } from 'chai';
import { inspect } from 'node:util';
import {
  OssAbortError,
  OssArgumentError,
  OssCallbackError,
  OssError,
  OssIntegrityError,
  OssServiceError,
  ObjectNotAppendableError,
  PositionNotEqualToLengthError,
  isAbortError,
} from '../lib/errors.js';

describe('errors', () => {
  it('OssError carries code, status, requestId, hostId, ec and cause', () => {
    const cause = new Error('socket hang up');
    const e = new OssError('boom', {
      code: 'X',
      status: 500,
      requestId: 'R1',
      hostId: 'h',
      ec: '0002-00000001',
      cause,
    });
    expect(e).to.be.instanceOf(Error);
    expect(e.name).to.equal('OssError');
    expect([e.code, e.status, e.requestId, e.hostId, e.ec]).to.deep.equal(['X', 500, 'R1', 'h', '0002-00000001']);
    expect(e.cause).to.equal(cause);
    expect(new OssError('m', { code: 'Y' }).status).to.equal(-1);
  });

  it('subclasses are OssErrors with their own names', () => {
    const svc = new OssServiceError(
      'nope',
      { code: 'NoSuchKey', status: 404, requestId: 'R' },
      { body: { Code: 'NoSuchKey' } },
    );
    expect(svc).to.be.instanceOf(OssError);
    expect(svc.name).to.equal('OssServiceError');
    expect(svc.details.body).to.deep.equal({ Code: 'NoSuchKey' });
    // heavy context stays out of logs
    expect(Object.keys(svc)).to.not.include('details');
    expect(inspect(svc)).to.not.include('details');

    const pos = new PositionNotEqualToLengthError('pos', { code: 'PositionNotEqualToLength', status: 409 }, 42);
    expect(pos).to.be.instanceOf(OssServiceError);
    expect(pos.nextPosition).to.equal(42);
    expect(new ObjectNotAppendableError('na', { code: 'ObjectNotAppendable', status: 409 })).to.be.instanceOf(
      OssServiceError,
    );

    const arg = new OssArgumentError('partSize must be ≥ 102400', 'partSize');
    expect([arg.code, arg.argument, arg.status]).to.deep.equal(['InvalidArgument', 'partSize', -1]);

    const ab = new OssAbortError();
    expect(ab.name).to.equal('AbortError');
    expect(isAbortError(ab)).to.equal(true);
    expect(isAbortError(new DOMException('x', 'AbortError'))).to.equal(true);
    expect(isAbortError(new Error('x'))).to.equal(false);

    const integ = new OssIntegrityError('crc', { expected: '1', actual: '2', requestId: 'R' });
    expect([integ.code, integ.expected, integ.actual]).to.deep.equal(['InconsistentCrc64', '1', '2']);

    const cb = new OssCallbackError('cb', { code: 'CallbackFailed', status: 203 }, { etag: '"A"' });
    expect(cb.result).to.deep.equal({ etag: '"A"' });
    expect(cb).to.be.instanceOf(OssServiceError);
  });
});
