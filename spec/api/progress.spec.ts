import { expect } from 'chai';
import { ProgressTracker } from '../../lib/api/progress.js';
import { recorder } from '../support/bytes.js';

describe('api/progress: ProgressTracker', () => {
  it('reports increasing byte counts with the total, holding the total back until done()', () => {
    const p = recorder();
    const t = new ProgressTracker(p.cb, 100);
    for (const n of [10, 10, 40, 100]) t.sent(n);
    expect(p.calls).to.deep.equal([[10, 100], [40, 100]]);
    t.done(100);
    expect(p.calls.at(-1)).to.deep.equal([100, 100]);
    t.done(100);
    expect(p.calls).to.have.length(3);
  });

  it('a retry (counts restarting at 0) never makes the report go backwards or repeat', () => {
    const p = recorder();
    const t = new ProgressTracker(p.cb, 100);
    t.sent(30);
    t.sent(60);
    t.sent(10); // attempt 2 starts over
    t.sent(50);
    t.sent(70);
    t.done(100);
    expect(p.calls).to.deep.equal([[30, 100], [60, 100], [70, 100], [100, 100]]);
  });

  it('an unknown total is null and counts go to the end as sent', () => {
    const p = recorder();
    const t = new ProgressTracker(p.cb, null);
    t.sent(5);
    t.sent(9);
    t.done(9);
    expect(p.calls).to.deep.equal([[5, null], [9, null]]);
  });

  it('0 bytes report (0, 0) once; a base offsets every report (resumed uploads)', () => {
    const zero = recorder();
    new ProgressTracker(zero.cb, 0).done(0);
    expect(zero.calls).to.deep.equal([[0, 0]]);
    const based = recorder();
    const t = new ProgressTracker(based.cb, 1000, 600);
    t.sent(100);
    t.done(400);
    expect(based.calls).to.deep.equal([[700, 1000], [1000, 1000]]);
  });

  it('without a callback, sent() and done() are safe no-ops (no call through undefined)', () => {
    const t = new ProgressTracker(undefined, 10);
    expect(() => {
      t.sent(5);
      t.done(10);
    }).not.to.throw();
  });
});
