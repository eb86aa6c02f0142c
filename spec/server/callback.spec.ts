import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { OssServer } from '../../lib/server/index.js';
import { presignV1 } from '../../lib/core/sign-v1.js';
import { md5Etag } from '../support/bytes.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, errorCode, xmlField } from '../support/raw-http.js';

interface Seen {
  headers: IncomingMessage['headers'];
  body: string;
  url: string;
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64');
}

describe('server upload callback', () => {
  let server: OssServer;
  let cb: Server;
  let cbUrl: string;
  let seen: Seen[];
  let answer: (res: ServerResponse) => void;

  before(async () => {
    server = await startAnonymousServer({ callbackTimeoutMs: 300 });
    cb = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' });
        answer(res);
      });
    });
    await new Promise<void>((r) => cb.listen(0, '127.0.0.1', r));
    cbUrl = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/notify`;
  });
  beforeEach(() => {
    seen = [];
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"Status":"OK"}');
    };
  });
  after(async () => {
    await server.close();
    cb.closeAllConnections();
    await new Promise((r) => cb.close(r));
  });

  it('PutObject: POSTs the form body with variables substituted and answers with the callback body', async () => {
    const callback = b64({
      callbackUrl: cbUrl,
      callbackBody: 'bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}&my=${x:my}',
      callbackHost: 'cb.example',
    });
    const put = await call(server, 'PUT', '/bkt/dir/a%20b.txt', {
      body: 'hello',
      headers: {
        'content-type': 'text/plain',
        'x-oss-callback': callback,
        'x-oss-callback-var': b64({ 'x:my': 'v&1' }),
      },
    });
    expect([put.status, put.text, put.headers['content-type']]).to.deep.equal([
      200,
      '{"Status":"OK"}',
      'application/json',
    ]);
    expect(put.headers['etag']).to.equal(md5Etag('hello'));
    expect(seen).to.have.length(1);
    const etag = md5Etag('hello').replace(/"/g, '');
    expect(seen[0]!.body).to.equal(
      `bucket=bkt&object=dir%2Fa%20b.txt&etag=${etag}&size=5&mimeType=text%2Fplain&my=v%261`,
    );
    expect(seen[0]!.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    expect(seen[0]!.headers['host']).to.equal('cb.example');
    expect(seen[0]!.url).to.equal('/notify');
  });

  it('CompleteMultipartUpload: JSON body type substitutes JSON values and replaces the XML result', async () => {
    const id = xmlField((await call(server, 'POST', '/bkt/mp?uploads')).text, 'UploadId')!;
    await call(server, 'PUT', `/bkt/mp?partNumber=1&uploadId=${id}`, { body: 'abc' });
    const callback = b64({
      callbackUrl: `http://localhost:1;${cbUrl}`,
      callbackBody: '{"object":${object},"size":${size},"v":${x:v}}',
      callbackBodyType: 'application/json',
    });
    const done = await call(server, 'POST', `/bkt/mp?uploadId=${id}`, {
      headers: {
        'x-oss-complete-all': 'yes',
        'x-oss-callback': callback,
        'x-oss-callback-var': b64({ 'x:v': 'q"uote' }),
      },
    });
    expect([done.status, done.text]).to.deep.equal([200, '{"Status":"OK"}']);
    expect(JSON.parse(seen[0]!.body)).to.deep.equal({ object: 'mp', size: 3, v: 'q"uote' });
    expect(done.headers['etag']).to.match(/-1"$/);
  });

  it('answers 203 CallbackFailed when the callback server fails, keeping the object', async () => {
    answer = (res) => {
      res.writeHead(500);
      res.end('nope');
    };
    const put = await call(server, 'PUT', '/bkt/f', {
      body: 'kept',
      headers: { 'x-oss-callback': b64({ callbackUrl: cbUrl, callbackBody: 'a=1' }) },
    });
    expect([put.status, errorCode(put)]).to.deep.equal([203, 'CallbackFailed']);
    expect(xmlField(put.text, 'Message')).to.equal('Error status : 500.');
    expect(put.headers['x-oss-ec']).to.equal('0007-00000203');
    expect(put.headers['etag']).to.equal(md5Etag('kept'));
    expect((await call(server, 'GET', '/bkt/f')).text).to.equal('kept');
  });

  it('answers 203 CallbackFailed after the timeout', async () => {
    answer = () => undefined;
    const t = Date.now();
    const put = await call(server, 'PUT', '/bkt/t', {
      body: 'x',
      headers: { 'x-oss-callback': b64({ callbackUrl: cbUrl, callbackBody: 'a=1' }) },
    });
    expect([put.status, errorCode(put)]).to.deep.equal([203, 'CallbackFailed']);
    expect(Date.now() - t).to.be.within(280, 3000);
  });

  it('refuses to call non-loopback addresses (203 CallbackFailed, says why)', async () => {
    const put = await call(server, 'PUT', '/bkt/n', {
      body: 'x',
      headers: { 'x-oss-callback': b64({ callbackUrl: 'http://203.0.113.9:8080/cb', callbackBody: 'a=1' }) },
    });
    expect([put.status, errorCode(put)]).to.deep.equal([203, 'CallbackFailed']);
    expect(put.text).to.contain('loopback');
    expect(seen).to.have.length(0);
  });

  it('accepts callback-var keys without the x: prefix (a presigned PUT), ignoring them as variables', async () => {
    const cred = { accessKeyId: 'ak', accessKeySecret: 'sk' };
    const signed = await startAnonymousServer({ anonymous: false, credentials: [cred] });
    /** `method /bkt/key?<query + V1 presign parameters>`, valid for 10 minutes. */
    const presigned = (method: string, key: string, query: Record<string, string>): string => {
      const expires = Math.floor(Date.now() / 1000) + 600;
      const auth = presignV1({ method, bucket: 'bkt', key, query, headers: {} }, cred, expires);
      const qs = Object.entries({ ...query, ...auth }).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
      return `/bkt/${key}?${qs.join('&')}`;
    };
    try {
      // A loopback port nobody listens on: the callback fails, the upload does not.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/cb`;
      await new Promise((r) => closed.close(r));
      const put = await call(
        signed,
        'PUT',
        presigned('PUT', 'cbvar.txt', {
          callback: b64({ callbackUrl: deadUrl, callbackBody: 'v=${var1}&w=${x:var2}' }),
          'callback-var': b64({ var1: 'value1', 'x:var2': 'value2' }),
        }),
        { body: 'hello' },
      );
      expect([put.status, errorCode(put)]).to.deep.equal([203, 'CallbackFailed']);
      const get = await call(signed, 'GET', presigned('GET', 'cbvar.txt', {}));
      expect([get.status, get.text]).to.deep.equal([200, 'hello']);
    } finally {
      await signed.close();
    }
    // Only x: keys are variables: a reachable callback server sees var1 unsubstituted.
    const put = await call(server, 'PUT', '/bkt/cbvar2.txt', {
      body: 'x',
      headers: {
        'x-oss-callback': b64({ callbackUrl: cbUrl, callbackBody: 'v=${var1}&w=${x:var2}' }),
        'x-oss-callback-var': b64({ var1: 'value1', 'x:var2': 'value2' }),
      },
    });
    expect(put.status).to.equal(200);
    expect(seen.map((s) => s.body)).to.deep.equal(['v=&w=value2']);
  });

  it('rejects malformed callback parameters with 400 InvalidArgument before storing', async () => {
    for (const header of [
      'not-base64-json',
      b64({ callbackUrl: cbUrl }),
      b64({ callbackBody: 'a' }),
      b64({ callbackUrl: cbUrl, callbackBody: 'a', callbackBodyType: 'text/plain' }),
    ]) {
      const put = await call(server, 'PUT', '/bkt/bad', { body: 'x', headers: { 'x-oss-callback': header } });
      expect([put.status, errorCode(put)]).to.deep.equal([400, 'InvalidArgument']);
    }
    expect((await call(server, 'HEAD', '/bkt/bad')).status).to.equal(404);
  });
});
