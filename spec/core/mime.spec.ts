import { expect } from 'chai';
import { contentTypeFor } from '../../lib/core/mime.js';

describe('core/mime', () => {
  it('guesses from the extension, octet-stream otherwise', () => {
    expect(contentTypeFor('a/b/photo.JPG')).to.equal('image/jpeg');
    expect(contentTypeFor('remote.txt')).to.equal('text/plain; charset=utf-8');
    expect(contentTypeFor('/tmp/x.json')).to.equal('application/json; charset=utf-8');
    expect(contentTypeFor('archive.tar.gz')).to.equal('application/gzip');
    expect(contentTypeFor('no-extension')).to.equal('application/octet-stream');
    expect(contentTypeFor('weird.zzzz')).to.equal('application/octet-stream');
  });
});
