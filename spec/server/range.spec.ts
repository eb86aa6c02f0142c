import { expect } from 'chai';
import { decideRange } from '../../lib/server/range.js';

describe('server range decisions', () => {
  it('reads single ranges the way OSS does', () => {
    const cases: Array<[string | undefined, boolean, unknown]> = [
      [undefined, false, { kind: 'whole' }],
      ['bytes=0-0', false, { kind: 'partial', range: { start: 0, end: 0 } }],
      ['bytes=10-', false, { kind: 'partial', range: { start: 10, end: 99 } }],
      ['bytes=-10', false, { kind: 'partial', range: { start: 90, end: 99 } }],
      ['bytes=-1000', false, { kind: 'partial', range: { start: 0, end: 99 } }],
      ['bytes=-0', false, { kind: 'whole' }],
      ['bytes=-0', true, { kind: 'unsatisfiable' }],
      ['bytes=50-200', false, { kind: 'whole' }],
      ['bytes=50-200', true, { kind: 'partial', range: { start: 50, end: 99 } }],
      ['bytes=100-', false, { kind: 'whole' }],
      ['bytes=100-', true, { kind: 'unsatisfiable' }],
      ['bytes=5-4', false, { kind: 'whole' }],
      ['bytes=0-1,3-4', false, { kind: 'whole' }],
      ['bytes=0-1,3-4', true, { kind: 'unsatisfiable' }],
      ['chars=0-1', false, { kind: 'whole' }],
      [' Bytes = 1 - 2 ', false, { kind: 'partial', range: { start: 1, end: 2 } }],
    ];
    for (const [h, standard, want] of cases)
      expect([h, standard, decideRange(h, 100, standard)]).to.deep.equal([h, standard, want]);
    expect(decideRange('bytes=0-', 0, false)).to.deep.equal({ kind: 'whole' });
    expect(decideRange('bytes=-5', 0, true)).to.deep.equal({ kind: 'unsatisfiable' });
  });
});
