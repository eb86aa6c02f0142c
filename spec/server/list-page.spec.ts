import { expect } from 'chai';
import { listPage } from '../../lib/server/list-page.js';
import { compareKeys } from '../../lib/server/names.js';

const keys = ['a', 'b/1', 'b/2', 'b/c/3', 'c', 'd/x'];
const page = (prefix: string, delimiter: string, max: number, marker = '') => {
  const p = listPage(keys, { keyOf: (k) => k, prefix, delimiter, max, marker });
  return [p.items, p.commonPrefixes, p.truncated, p.lastKey];
};

describe('server listing pages', () => {
  it('filters by prefix, rolls up at the delimiter and cuts at max (a prefix counts once)', () => {
    expect(page('', '', 10)).to.deep.equal([keys, [], false, 'd/x']);
    expect(page('', '/', 10)).to.deep.equal([['a', 'c'], ['b/', 'd/'], false, 'd/']);
    expect(page('', '/', 2)).to.deep.equal([['a'], ['b/'], true, 'b/']);
    expect(page('', '/', 2, 'b/')).to.deep.equal([['c'], ['d/'], false, 'd/']);
    expect(page('b/', '/', 10)).to.deep.equal([['b/1', 'b/2'], ['b/c/'], false, 'b/c/']);
    expect(page('', '', 2, 'b/1')).to.deep.equal([['b/2', 'b/c/3'], [], true, 'b/c/3']);
    expect(page('', '', 0)).to.deep.equal([[], [], true, undefined]);
  });

  it('orders keys by UTF-8 bytes', () => {
    const sorted = ['\u{1F600}', '\uFFFD', 'b', 'a', '\u00e9'].sort(compareKeys);
    expect(sorted).to.deep.equal(['a', 'b', '\u00e9', '\uFFFD', '\u{1F600}']);
    const byBytes = [...sorted].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(sorted).to.deep.equal(byBytes);
  });
});
