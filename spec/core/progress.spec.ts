import { expect } from 'chai';
import { UploadProgress } from '../../lib/core/progress.js';

function recorder(): { calls: Array<[number, number | null]>; cb: (n: number, total: number | null) => void } {
  const calls: Array<[number, number | null]> = [];
  return { calls, cb: (n, total) => void calls.push([n, total]) };
}

describe('core/progress: UploadProgress', () => {
  it('reports increasing byte counts with the total, holding the total back until complete()', () => {
    const p = recorder();
    const t = new UploadProgress(p.cb, 100);
    for (const n of [10, 10, 40, 100]) t.sent(n);
    expect(p.calls).to.deep.equal([
      [10, 100],
      [40, 100],
    ]);
    t.complete(100);
    expect(p.calls.at(-1)).to.deep.equal([100, 100]);
    t.complete(100);
    expect(p.calls).to.have.length(3);
  });

  it('a retry (counts restarting at 0) never makes the report go backwards or repeat', () => {
    const p = recorder();
    const t = new UploadProgress(p.cb, 100);
    t.sent(30);
    t.sent(60);
    t.sent(10); // attempt 2 starts over
    t.sent(50);
    t.sent(70);
    t.complete(100);
    expect(p.calls).to.deep.equal([
      [30, 100],
      [60, 100],
      [70, 100],
      [100, 100],
    ]);
  });

  it('an unknown total is null and counts go to the end as sent', () => {
    const p = recorder();
    const t = new UploadProgress(p.cb, null);
    t.sent(5);
    t.sent(9);
    t.complete(9);
    expect(p.calls).to.deep.equal([
      [5, null],
      [9, null],
    ]);
  });

  it('the commit of an unknown-length upload reports its size as the total', () => {
    const p = recorder();
    new UploadProgress(p.cb, null).complete(0);
    expect(p.calls).to.deep.equal([[0, 0]]);
  });

  it('0 bytes report (0, 0) once; stored bytes offset every report (resumed uploads)', () => {
    const zero = recorder();
    new UploadProgress(zero.cb, 0).complete(0);
    expect(zero.calls).to.deep.equal([[0, 0]]);
    const based = recorder();
    const t = new UploadProgress(based.cb, 1000, 600);
    t.begin();
    t.sent(100);
    t.complete(1000);
    expect(based.calls).to.deep.equal([
      [600, 1000],
      [700, 1000],
      [1000, 1000],
    ]);
  });

  it('parts in flight add up; a stored part counts once, and the last byte waits for the commit', () => {
    const p = recorder();
    const t = new UploadProgress(p.cb, 300);
    t.sent(50, 1);
    t.sent(40, 2);
    t.sent(100, 1);
    t.partDone(1, 100);
    t.sent(100, 2);
    t.sent(20, 3);
    t.sent(10, 3); // part 3 retried
    t.partDone(2, 100);
    t.sent(100, 3);
    t.partDone(3, 100);
    expect(p.calls).to.deep.equal([
      [50, 300],
      [90, 300],
      [140, 300],
      [200, 300],
      [220, 300],
    ]);
    t.complete(300);
    expect(p.calls.at(-1)).to.deep.equal([300, 300]);
  });

  it('without a callback, every report is a safe no-op (no call through undefined)', () => {
    const t = new UploadProgress(undefined, 10);
    expect(() => {
      t.begin();
      t.sent(5);
      t.partDone(1, 5);
      t.complete(10);
    }).not.to.throw();
  });
});
