import { expect } from 'chai';
import { OssArgumentError } from 'oss-stream';
import { completeHeaders, initiateHeaders, uploadHeaders } from '../../lib/api/upload-headers.js';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64');

describe('api/upload-headers', () => {
  it('lower-cases names, keeps values, guesses Content-Type from the name unless given', () => {
    expect(uploadHeaders({ headers: { 'X-OSS-Meta-Author': 'O. Henry' } }, 'story.txt')).to.deep.equal({
      'x-oss-meta-author': 'O. Henry',
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(uploadHeaders({ headers: { 'Content-Type': 'application/x-custom' } }, 'a.json')).to.deep.equal({
      'content-type': 'application/x-custom',
    });
    expect(uploadHeaders({}, 'archive.tar.gz')).to.deep.equal({ 'content-type': 'application/gzip' });
    expect(uploadHeaders({}, undefined)).to.deep.equal({});
  });

  it('turns tags into one URL-encoded x-oss-tagging and meta into x-oss-meta-*, for PutObject and Initiate only', () => {
    const h = uploadHeaders({ tags: { a: '1', 'b c': 'x&y=z', ключ: "it's" }, meta: { Owner: 'ops' } }, undefined);
    expect(h['x-oss-tagging']).to.equal('a=1&b%20c=x%26y%3Dz&%D0%BA%D0%BB%D1%8E%D1%87=it%27s');
    expect(h['x-oss-meta-owner']).to.equal('ops');
    expect(initiateHeaders(h)['x-oss-tagging']).to.equal(h['x-oss-tagging']);
    expect(initiateHeaders(h)['x-oss-meta-owner']).to.equal('ops');
    // Complete (and UploadPart, which sends no object headers at all) never carries them.
    expect(completeHeaders(h)).to.deep.equal({});
  });

  it('encodes the callback and its variables as base64 JSON', () => {
    const h = uploadHeaders(
      {
        callback: { url: 'http://127.0.0.1:1/cb', body: 'a=${object}', bodyType: 'application/json' },
        callbackVar: { 'x:n': 1 },
      },
      'k',
    );
    expect(JSON.parse(Buffer.from(h['x-oss-callback']!, 'base64').toString())).to.deep.equal({
      callbackUrl: 'http://127.0.0.1:1/cb',
      callbackBody: 'a=${object}',
      callbackBodyType: 'application/json',
    });
    expect(JSON.parse(Buffer.from(h['x-oss-callback-var']!, 'base64').toString())).to.deep.equal({ 'x:n': '1' });
  });

  it('accepts well-formed raw callback headers as they are', () => {
    const raw = b64({ callbackUrl: 'http://a', callbackBody: 'b' });
    expect(
      uploadHeaders({ headers: { 'x-oss-callback': raw, 'x-oss-callback-var': b64({ 'x:a': 'b' }) } }, undefined),
    ).to.deep.equal({
      'x-oss-callback': raw,
      'x-oss-callback-var': b64({ 'x:a': 'b' }),
    });
  });

  it('refuses what would contradict the request or be ambiguous, saying what to do instead', () => {
    const cases: Array<[Parameters<typeof uploadHeaders>[0], string, string]> = [
      [
        { headers: { 'Content-Length': '3' } },
        'headers["content-length"]',
        'header content-length cannot be set on an upload: pass the contentLength option instead',
      ],
      [
        { headers: { 'Transfer-Encoding': 'chunked' } },
        'headers["transfer-encoding"]',
        'header transfer-encoding cannot be set on an upload: the client picks chunked encoding itself for streams of unknown length',
      ],
      [
        { headers: { Authorization: 'x' } },
        'headers["authorization"]',
        "header authorization cannot be set on an upload: requests are signed with the Bucket's credentials",
      ],
      [
        { headers: { Host: 'x' } },
        'headers["host"]',
        'header host cannot be set on an upload: the host comes from the endpoint',
      ],
      [
        {
          headers: { 'x-oss-callback': b64({ callbackUrl: 'http://a', callbackBody: 'b' }) },
          callback: { url: 'http://a', body: 'b' },
        },
        'callback',
        'give the callback either as the callback option or as an x-oss-callback header, not both',
      ],
      [
        { headers: { 'x-oss-callback': b64([1]) } },
        'headers["x-oss-callback"]',
        'header x-oss-callback must be base64 of a JSON object (or use the callback option, which encodes it for you)',
      ],
      [
        { headers: { 'x-oss-callback': b64({ callbackBody: 'b' }) } },
        'headers["x-oss-callback"]',
        'header x-oss-callback must name a non-empty callbackUrl',
      ],
      [
        { headers: { 'x-oss-callback-var': 'nope' } },
        'headers["x-oss-callback-var"]',
        'header x-oss-callback-var must be base64 of a JSON object (or use the callback option, which encodes it for you)',
      ],
      [
        { headers: { 'x-oss-callback-var': b64({}) }, callbackVar: { 'x:a': 1 } },
        'callbackVar',
        'give callbackVar either as the option or as an x-oss-callback-var header, not both',
      ],
      [
        { callback: { url: 'http://a', body: 'b', bodyType: 'text/plain' as 'application/json' } },
        'callback.bodyType',
        'callback.bodyType must be one of application/x-www-form-urlencoded, application/json',
      ],
    ];
    for (const [opts, argument, message] of cases) {
      let caught: unknown;
      try {
        uploadHeaders(opts, 'k');
      } catch (err) {
        caught = err;
      }
      expect(caught, message).to.be.instanceOf(OssArgumentError);
      expect([(caught as OssArgumentError).argument, (caught as Error).message]).to.deep.equal([argument, message]);
    }
  });
});
