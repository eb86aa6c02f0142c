import { join } from 'node:path';
import { expect } from 'chai';
import { assertInside, isBlobId, keyFileName, keyMetaPath } from '../../lib/server/key-path.js';

describe('server key paths', () => {
  it('names sidecars by the SHA-256 of the key, whatever the key holds', () => {
    expect(keyFileName('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyMetaPath('abc')).to.equal(
      join('ba', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json'),
    );
    for (const key of ['../../x', '/etc/passwd', 'a\u0000b', '..\\..\\x', '%2e%2e%2f', 'x'.repeat(1023)]) {
      expect(keyMetaPath(key)).to.match(/^[0-9a-f]{2}\/[0-9a-f]{64}\.json$/);
    }
  });

  it('accepts only store-made blob ids and paths inside the root', () => {
    expect(isBlobId('0123456789abcdef0123456789abcdef')).to.equal(true);
    for (const bad of ['../x', '0123456789ABCDEF0123456789ABCDEF', '', '0123456789abcdef0123456789abcde/'])
      expect(isBlobId(bad)).to.equal(false);
    expect(assertInside('/r', '/r/a/b')).to.equal('/r/a/b');
    expect(() => assertInside('/r', '/r')).to.throw();
    expect(() => assertInside('/r', '/r/../x')).to.throw();
    expect(() => assertInside('/r', '/other')).to.throw();
  });
});
