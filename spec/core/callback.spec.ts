import { expect } from 'chai';
import { encodeCallback, encodeCallbackVar } from '../../lib/core/callback.js';
import { OssArgumentError } from '../../lib/errors.js';

const decode = (b64: string) => JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));

describe('core/callback', () => {
  it('encodes the callback JSON as OSS expects', () => {
    const v = encodeCallback({
      url: 'http://oss-demo.aliyuncs.com:23450',
      body: 'bucket=${bucket}&object=${object}&size=${size}',
    });
    // the exact value of the protocol reference's V1-U4 vector
    expect(v).to.equal(
      'eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9vc3MtZGVtby5hbGl5dW5jcy5jb206MjM0NTAiLCJjYWxsYmFja0JvZHkiOiJidWNrZXQ9JHtidWNrZXR9Jm9iamVjdD0ke29iamVjdH0mc2l6ZT0ke3NpemV9In0=',
    );
    const full = decode(
      encodeCallback({
        url: ['http://a/x y', 'https://b/'],
        body: '{"o":${object}}',
        host: 'h',
        bodyType: 'application/json',
        sni: true,
      }),
    );
    expect(full).to.deep.equal({
      callbackUrl: 'http://a/x%20y;https://b/',
      callbackBody: '{"o":${object}}',
      callbackHost: 'h',
      callbackBodyType: 'application/json',
      callbackSNI: true,
    });
  });

  it('rejects bad callbacks before sending', () => {
    const bad: unknown[] = [
      null,
      { body: 'x' },
      { url: 'ftp://x', body: 'x' },
      { url: [], body: 'x' },
      { url: ['http://a', 'http://b', 'http://c', 'http://d', 'http://e', 'http://f'], body: 'x' },
      { url: 'http://a', body: '' },
      { url: 'http://a', body: 7 },
      { url: 'http://a', body: 'x', bodyType: 'text/plain' },
      { url: 'http://a', body: 'x', sni: 'yes' },
      { url: 'http://a', body: 'x', host: '' },
    ];
    for (const cb of bad)
      expect(() => encodeCallback(cb as never), JSON.stringify(cb)).to.throw(OssArgumentError, /callback/);
  });

  it('encodes custom variables and checks their names', () => {
    expect(decode(encodeCallbackVar({ 'x:user': 'alice', 'x:n': 3, 'x:ok': true }))).to.deep.equal({
      'x:user': 'alice',
      'x:n': '3',
      'x:ok': 'true',
    });
    expect(() => encodeCallbackVar({ user: 'a' })).to.throw(OssArgumentError, /x:name/);
    expect(() => encodeCallbackVar({ 'x:User': 'a' })).to.throw(OssArgumentError);
    expect(() => encodeCallbackVar({ 'x:a': {} as never })).to.throw(OssArgumentError, /string, number or boolean/);
  });
});
