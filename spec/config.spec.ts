import { expect } from 'chai';
import { constants } from 'node:buffer';
import {
  checkBufferSize,
  DEFAULTS,
  LIMITS,
  MAX_BUFFER_BYTES,
  maxBufferedPartSize,
  resolveClientOptions,
  resolveConcurrency,
  resolveLimits,
} from '../lib/config.js';
import { OssArgumentError } from '../lib/errors.js';

describe('config', () => {
  it('freezes DEFAULTS and LIMITS with the service limits', () => {
    expect(Object.isFrozen(DEFAULTS)).to.equal(true);
    expect(Object.isFrozen(LIMITS)).to.equal(true);
    expect(LIMITS.minPartSize).to.equal(102400);
    expect(LIMITS.maxPartSize).to.equal(5 * 1024 ** 3);
    expect(LIMITS.maxParts).to.equal(10000);
    expect(LIMITS.maxPutSize).to.equal(5 * 1024 ** 3);
    expect(LIMITS.maxKeyBytes).to.equal(1023);
    // 48.8 TiB in bytes, within a float's exact integer range
    expect(LIMITS.maxObjectSize)
      .to.be.greaterThan(48 * 1024 ** 4)
      .and.lessThan(49 * 1024 ** 4);
    expect(Number.isSafeInteger(LIMITS.maxObjectSize)).to.equal(true);
  });

  it('resolves defaults once and keeps an explicit 0 (?? not ||)', () => {
    const r = resolveClientOptions({ retries: 0 });
    expect(r.retries).to.equal(0);
    expect(r.signatureVersion).to.equal('v4');
    expect(r.connectionPoolSize).to.equal(DEFAULTS.connectionPoolSize);
    expect(Object.isFrozen(r)).to.equal(true);
    expect(resolveClientOptions().retries).to.equal(DEFAULTS.retries);
  });

  it('timeoutMs sets all three timeouts unless one is given', () => {
    const r = resolveClientOptions({ timeoutMs: 500, bodyTimeoutMs: 900 });
    expect([r.connectTimeoutMs, r.headersTimeoutMs, r.bodyTimeoutMs]).to.deep.equal([500, 500, 900]);
  });

  it('timeoutMs: 0 is refused under its own name', () => {
    expect(() => resolveClientOptions({ timeoutMs: 0 })).to.throw(
      OssArgumentError,
      /^timeoutMs must be an integer from 1 to \d+, got 0$/,
    );
  });

  it('rejects out-of-range options with a typed error naming the option', () => {
    for (const [opts, name] of [
      [{ retries: -1 }, 'retries'],
      [{ retries: 1.5 }, 'retries'],
      [{ connectionPoolSize: 0 }, 'connectionPoolSize'],
      [{ timeoutMs: Number.NaN }, 'timeoutMs'],
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ timeoutMs: 0, connectTimeoutMs: 5 }, 'timeoutMs'],
      [{ connectTimeoutMs: 0 }, 'connectTimeoutMs'],
      [{ signatureVersion: 'v2' as 'v4' }, 'signatureVersion'],
    ] as const) {
      try {
        resolveClientOptions(opts);
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(OssArgumentError);
        expect((err as OssArgumentError).argument).to.equal(name);
      }
    }
  });

  it('one default part size and one name for parallelism (issue 17)', () => {
    expect(DEFAULTS.partSize).to.equal(8 * 1024 * 1024);
    expect('preferredPartSize' in DEFAULTS).to.equal(false);
    expect(resolveConcurrency({})).to.equal(DEFAULTS.concurrency);
    expect(resolveConcurrency({ concurrency: 6 })).to.equal(6);
    expect(resolveConcurrency({ parallel: 3 })).to.equal(3); // the deprecated alias
    expect(resolveConcurrency({ concurrency: 3, parallel: 3 })).to.equal(3);
    expect(() => resolveConcurrency({ concurrency: 2, parallel: 3 })).to.throw(OssArgumentError, /disagree/);
    expect(() => resolveConcurrency({ parallel: 0 })).to.throw(OssArgumentError, /parallel must be an integer/);
  });

  it("cleanupTimeoutMs bounds the wait for a failed upload's cleanup (default 5 s)", () => {
    expect(resolveClientOptions().cleanupTimeoutMs).to.equal(5000);
    expect(resolveClientOptions({ cleanupTimeoutMs: 250 }).cleanupTimeoutMs).to.equal(250);
    expect(() => resolveClientOptions({ cleanupTimeoutMs: 0 }))
      .to.throw(OssArgumentError)
      .with.property('argument', 'cleanupTimeoutMs');
  });

  it('a part held in memory is at most what this Node can allocate as one Buffer (issue 17)', () => {
    expect(MAX_BUFFER_BYTES).to.equal(constants.MAX_LENGTH);
    expect(maxBufferedPartSize(LIMITS)).to.equal(Math.min(LIMITS.maxPartSize, constants.MAX_LENGTH));
    expect(checkBufferSize('partSize', MAX_BUFFER_BYTES, 1, LIMITS.maxPartSize)).to.equal(
      Math.min(MAX_BUFFER_BYTES, LIMITS.maxPartSize),
    );
    // Over OSS's limit too: the OSS-limit message, which says the range.
    expect(() => checkBufferSize('partSize', LIMITS.maxPartSize + 1, 1, LIMITS.maxPartSize)).to.throw(
      OssArgumentError,
      /must be an integer from 1/,
    );
    if (MAX_BUFFER_BYTES < LIMITS.maxPartSize) {
      expect(() => checkBufferSize('partSize', MAX_BUFFER_BYTES + 1, 1, LIMITS.maxPartSize)).to.throw(
        OssArgumentError,
        /largest Buffer Node/,
      );
    }
  });

  it('lets tests shrink limits without touching module state', () => {
    const l = resolveLimits({ minPartSize: 1024 });
    expect(l.minPartSize).to.equal(1024);
    expect(l.maxParts).to.equal(10000);
    expect(LIMITS.minPartSize).to.equal(102400);
    expect(() => resolveLimits({ maxParts: 0 })).to.throw(OssArgumentError, /limits.maxParts/);
  });
});
