import { expect } from 'chai';
import { validateBucketName, validateHeaders, validateObjectKey, validatePartNumber } from '../../lib/core/validate.js';
import { OssArgumentError } from '../../lib/errors.js';
import { resolveLimits } from '../../lib/config.js';

const rejects = (fn: () => unknown, re: RegExp, code = 'InvalidArgument') => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as OssArgumentError).code).to.equal(code);
    expect((err as Error).message).to.match(re);
    return;
  }
  expect.fail('expected an OssArgumentError');
};

describe('core/validate', () => {
  it('accepts valid bucket names and rejects the rest', () => {
    for (const ok of ['abc', 'my-bucket-01', 'a'.repeat(63), '0ab']) expect(validateBucketName(ok)).to.equal(ok);
    for (const bad of ['ab', 'a'.repeat(64), 'Abc', 'my_bucket', '-abc', 'abc-', 'a.b', '', 42]) {
      rejects(() => validateBucketName(bad), /bucket name .* invalid/, 'InvalidBucketName');
    }
  });

  it('checks keys: non-empty, ≤ 1023 UTF-8 bytes, no leading slash, well-formed unicode', () => {
    expect(validateObjectKey('a/b c+d?.txt')).to.equal('a/b c+d?.txt');
    expect(validateObjectKey('x'.repeat(1023))).to.have.length(1023);
    // 341 × 3-byte characters = 1023 bytes: fine; one more is 1026 bytes
    expect(validateObjectKey('中'.repeat(341))).to.have.length(341);
    rejects(() => validateObjectKey('中'.repeat(342)), /1026 UTF-8 bytes/, 'InvalidObjectName');
    rejects(() => validateObjectKey(''), /non-empty/, 'InvalidObjectName');
    rejects(() => validateObjectKey('x'.repeat(1024)), /1024 UTF-8 bytes/, 'InvalidObjectName');
    rejects(() => validateObjectKey('/abs'), /must not start/, 'InvalidObjectName');
    rejects(() => validateObjectKey('\\abs'), /must not start/, 'InvalidObjectName');
    rejects(() => validateObjectKey('bad\uD800key'), /surrogate/, 'InvalidObjectName');
    rejects(() => validateObjectKey('bad\uDC00'), /surrogate/, 'InvalidObjectName');
    expect(validateObjectKey('ok\uD83D\uDE00')).to.equal('ok😀');
    rejects(() => validateObjectKey(undefined), /non-empty/, 'InvalidObjectName');
    const small = resolveLimits({ maxKeyBytes: 4 });
    rejects(() => validateObjectKey('abcde', small), /limit is 4/, 'InvalidObjectName');
  });

  it('checks header names and values', () => {
    expect(
      validateHeaders({
        'Content-Type': 'text/plain',
        'x-oss-meta-Author': 'alice',
        'x-oss-meta-n': 3 as unknown as string,
      }),
    ).to.deep.equal({
      'content-type': 'text/plain',
      'x-oss-meta-author': 'alice',
      'x-oss-meta-n': '3',
    });
    rejects(() => validateHeaders({ 'x-oss-meta-a b': 'v' }), /header name/);
    rejects(() => validateHeaders({ 'x-oss-meta-ünï': 'v' }), /header name/);
    rejects(() => validateHeaders({ 'x-oss-meta-a': 'line\r\nInjected: 1' }), /CR\/LF/);
    rejects(() => validateHeaders({ 'x-oss-meta-a': 'naïve' }), /non-ASCII/);
    expect(validateHeaders(undefined)).to.deep.equal({});
  });

  it('checks part numbers 1..10000', () => {
    expect(validatePartNumber(1)).to.equal(1);
    expect(validatePartNumber(10000)).to.equal(10000);
    for (const bad of [0, 10001, 1.5, Number.NaN, '1']) rejects(() => validatePartNumber(bad), /part number/);
  });
});
