import { expect } from 'chai';
import { DEFAULTS } from '../../lib/config.js';
import { appendRetryDelayMs, appendRetryWindowMs } from '../../lib/sinks/append-retry.js';

describe('sinks/append-retry', () => {
  const defaults = { retries: DEFAULTS.appendRetries, baseDelayMs: DEFAULTS.appendRetryBaseDelayMs, maxDelayMs: DEFAULTS.appendRetryMaxDelayMs };

  it('the default schedule keeps retrying a batch well past an 8-second outage, whatever the jitter', () => {
    const { min, max } = appendRetryWindowMs(defaults);
    expect(min).to.be.at.least(8_000 * 2);
    expect(min).to.equal(23_875);
    expect(max).to.equal(47_750);
  });

  it('each delay is from half the cap to the cap; the cap doubles from the base up to the maximum', () => {
    const b = { retries: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((a) => appendRetryDelayMs(a, b, () => 0))).to.deep.equal([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 5].map((a) => appendRetryDelayMs(a, b, () => 1))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    expect(appendRetryDelayMs(2, b, () => 0.5)).to.equal(300);
  });

  it('no retries, no wait; a zero base never waits', () => {
    expect(appendRetryWindowMs({ ...defaults, retries: 0 })).to.deep.equal({ min: 0, max: 0 });
    expect(appendRetryWindowMs({ retries: 5, baseDelayMs: 0, maxDelayMs: 8000 })).to.deep.equal({ min: 0, max: 0 });
  });
});
