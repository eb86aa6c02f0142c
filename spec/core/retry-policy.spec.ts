import { expect } from 'chai';
import { DEFAULTS } from '../../lib/config.js';
import { OssAbortError, OssArgumentError, OssError, OssIntegrityError, OssServiceError } from '../../lib/errors.js';
import {
  backoffDelayMs,
  retryDelayMs,
  retryVerdict,
  retryWindowMs,
  waitToRetry,
  type RetrySchedule,
} from '../../lib/core/retry-policy.js';

function service(status: number, code: string, headers: Record<string, string> = {}): OssServiceError {
  return new OssServiceError(`${status} ${code}`, { status, code }, { headers });
}

describe('core/retry-policy', () => {
  describe('retryVerdict', () => {
    it('retries 5xx, 429, 408 and RequestTimeTooSkewed; not other 4xx', () => {
      const verdicts = [
        service(500, 'InternalError'),
        service(503, 'ServiceUnavailable'),
        service(429, 'TooManyRequests'),
        service(408, 'RequestTimeout'),
        service(403, 'RequestTimeTooSkewed'),
        service(403, 'AccessDenied'),
        service(404, 'NoSuchKey'),
        service(409, 'PositionNotEqualToLength'),
        service(400, 'InvalidArgument'),
      ].map((e) => retryVerdict(e));
      expect(verdicts).to.deep.equal([
        { code: 'InternalError', status: 500 },
        { code: 'ServiceUnavailable', status: 503 },
        { code: 'TooManyRequests', status: 429 },
        { code: 'RequestTimeout', status: 408 },
        { code: 'RequestTimeTooSkewed', status: 403 },
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    });

    it('retries network errors along the cause chain, as undici throws them and as the transport reports them', () => {
      const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      expect(retryVerdict(reset)).to.deep.equal({ code: 'UND_ERR_SOCKET', status: -1 });
      expect(
        retryVerdict(new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })),
      ).to.deep.equal({ code: 'ECONNRESET', status: -1 });
      const final = new OssError('Network error', { code: 'NetworkError', status: -1, cause: reset });
      expect(retryVerdict(final)).to.deep.equal({ code: 'UND_ERR_SOCKET', status: -1 });
      // A final error whose cause chain is too deep to read still counts, by its own code.
      expect(retryVerdict(new OssError('timed out', { code: 'RequestTimeout', status: -1 }))).to.deep.equal({
        code: 'RequestTimeout',
        status: -1,
      });
    });

    it('does not retry aborts, argument, integrity or refused-request errors, nor plain errors', () => {
      const errors = [
        new OssAbortError(),
        new OssArgumentError('bad', 'x'),
        new OssIntegrityError('crc', { expected: '1', actual: '2' }),
        new OssError('closed', { code: 'RequestError', status: -1 }),
        Object.assign(new Error('nope'), { code: 'ENOENT' }),
        new Error('plain'),
        'a string',
      ];
      expect(errors.map((e) => retryVerdict(e))).to.deep.equal(errors.map(() => undefined));
    });
  });

  describe('delays', () => {
    const appendDefaults: RetrySchedule = {
      retries: DEFAULTS.appendRetries,
      baseDelayMs: DEFAULTS.appendRetryBaseDelayMs,
      maxDelayMs: DEFAULTS.appendRetryMaxDelayMs,
      jitter: DEFAULTS.appendRetryJitter,
    };

    it("the append stream's default schedule keeps retrying a batch well past an 8-second outage, whatever the jitter", () => {
      const { min, max } = retryWindowMs(appendDefaults);
      expect(min).to.be.at.least(8_000 * 2);
      expect(min).to.equal(23_875);
      expect(max).to.equal(47_750);
    });

    it('equal jitter: each delay is from half the cap to the cap; the cap doubles from the base up to the maximum', () => {
      const s = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 'equal' } as const;
      expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, s, () => 0))).to.deep.equal([50, 100, 200, 400, 500, 500]);
      expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, s, () => 1))).to.deep.equal([
        100, 200, 400, 800, 1000, 1000,
      ]);
      expect(backoffDelayMs(2, s, () => 0.5)).to.equal(300);
    });

    it('full jitter (requests): from 0 to the cap, floored', () => {
      const s = { baseDelayMs: 200, maxDelayMs: 1000, jitter: 'full' } as const;
      expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, s, () => 0))).to.deep.equal([0, 0, 0, 0]);
      expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, s, () => 0.9999))).to.deep.equal([199, 399, 799, 999]);
      expect(retryWindowMs({ ...s, retries: 3 }).min).to.equal(0);
    });

    it('no retries, no wait; a zero base never waits', () => {
      expect(retryWindowMs({ ...appendDefaults, retries: 0 })).to.deep.equal({ min: 0, max: 0 });
      expect(retryWindowMs({ ...appendDefaults, retries: 5, baseDelayMs: 0 })).to.deep.equal({ min: 0, max: 0 });
    });

    it('x-oss-qos-delay-time is a floor, capped at DEFAULTS.maxQosDelayMs; ignored when absent or bogus', () => {
      const s = { baseDelayMs: 0, maxDelayMs: 0, jitter: 'full' } as const;
      const qos = (v: string): OssServiceError => service(503, 'ServiceUnavailable', { 'x-oss-qos-delay-time': v });
      expect(retryDelayMs(0, qos('150'), s)).to.equal(150);
      expect(retryDelayMs(0, qos('999999999'), s)).to.equal(DEFAULTS.maxQosDelayMs);
      expect(
        [qos('abc'), qos('-5'), service(503, 'ServiceUnavailable')].map((e) => retryDelayMs(0, e, s)),
      ).to.deep.equal([0, 0, 0]);
      expect(retryDelayMs(3, qos('150'), { baseDelayMs: 100, maxDelayMs: 1000, jitter: 'equal' })).to.be.at.least(400);
    });
  });

  describe('waitToRetry', () => {
    it('an abort ends the wait at once with an AbortError carrying the reason', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const waiting = waitToRetry(60_000, controller.signal);
      controller.abort(new Error('stop'));
      const err = await waiting.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect((err as OssAbortError).cause).to.have.property('message', 'stop');
      expect(Date.now() - started).to.be.below(5_000);
    });

    it('an already aborted signal rejects without waiting', async () => {
      const err = await waitToRetry(60_000, AbortSignal.abort()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssAbortError);
    });
  });
});
