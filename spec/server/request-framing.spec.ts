/**
 * Request framing over raw sockets, so the bytes on the wire are exactly the ones under test: a body with both
 * Content-Length and chunked encoding (what ali-oss sends for `put(stream, { headers: { 'Content-Length': n } })`),
 * a GET declaring a body it does not send on a keep-alive connection, and requests Node's parser refuses.
 */
import { connect } from 'node:net';
import { expect } from 'chai';
import type { OssServer } from '../../lib/server/index.js';
import { md5Etag } from '../support/bytes.js';
import { startAnonymousServer } from '../support/local-oss.js';
import { call, xmlField } from '../support/raw-http.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `bytes` on one connection and parses every answer until the server closes it. */
function exchange(server: OssServer, bytes: string | Buffer): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(parseAnswers(Buffer.concat(chunks))));
    sock.write(bytes);
  });
}

/**
 * Sends `requests` one after another on one keep-alive connection, each once the answer to the previous one has
 * fully arrived, and resolves with the answers.
 */
function converse(server: OssServer, requests: string[]): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    let sent = 0;
    sock.on('error', reject);
    sock.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      let answers: RawAnswer[];
      try {
        answers = parseAnswers(buffered);
      } catch {
        return; // not complete yet
      }
      if (answers.length < sent) return;
      if (sent === requests.length) {
        sock.destroy();
        resolve(answers);
        return;
      }
      sock.write(requests[sent++]!);
    });
    sock.write(requests[sent++]!);
  });
}

/** Splits a byte stream into HTTP/1.1 answers (every answer here has a Content-Length). */
function parseAnswers(raw: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`truncated answer: ${rest.toString('latin1')}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length) || rest.length < end + 4 + length)
      throw new Error(`incomplete answer: ${String(statusLine)}`);
    out.push({
      status: Number(statusLine!.split(' ')[1]),
      headers,
      body: rest.subarray(end + 4, end + 4 + length).toString('utf8'),
    });
    rest = rest.subarray(end + 4 + length);
  }
  return out;
}

/** An OSS error answer: `<Error>` with code and a request id that matches the header. */
function expectOssError(a: RawAnswer, status: number, code: string): void {
  expect([a.status, xmlField(a.body, 'Code')]).to.deep.equal([status, code]);
  expect(a.headers['x-oss-request-id']).to.match(/^[0-9A-F]{24}$/);
  expect(xmlField(a.body, 'RequestId')).to.equal(a.headers['x-oss-request-id']);
  expect(a.headers['content-type']).to.equal('application/xml');
}

describe('server request framing', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer();
  });
  after(() => server.close());

  it('stores a PUT with both Content-Length and chunked encoding, decoding the chunks, and keeps the connection', async () => {
    const answers = await converse(server, [
      'PUT /bkt/both.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n',
      'GET /bkt/both.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    ]);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200]);
    expect(answers[0]!.headers['etag']).to.equal(md5Etag('hello world'));
    expect(answers[1]!.body).to.equal('hello world');
  });

  it('refuses a chunked body whose length differs from its Content-Length with 400 IncompleteBody, storing nothing', async () => {
    for (const declared of [5, 12]) {
      const [a] = await exchange(
        server,
        `PUT /bkt/mismatch.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\nTransfer-Encoding: chunked\r\n` +
          'Connection: close\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n',
      );
      expectOssError(a!, 400, 'IncompleteBody');
      expect([xmlField(a!.body, 'ContentLength'), xmlField(a!.body, 'ReceivedLength')]).to.deep.equal([
        String(declared),
        '11',
      ]);
    }
    expect((await call(server, 'HEAD', '/bkt/mismatch.txt')).status).to.equal(404);
  });

  it("reads a GET's declared body from the connection (HTTP framing), answers the GET, then an <Error> for the rest", async () => {
    await call(server, 'PUT', '/bkt/got.txt', { body: 'content' });
    // The GET declares 9 bytes it never sends: they are taken from the next request, as any HTTP/1.1 server must.
    const answers = await exchange(
      server,
      'GET /bkt/got.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9\r\n\r\n' +
        'PUT /bkt/eaten.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc',
    );
    expect(answers).to.have.length(2);
    expect([answers[0]!.status, answers[0]!.body]).to.deep.equal([200, 'content']);
    expectOssError(answers[1]!, 400, 'BadRequest');
    expect(answers[1]!.headers['connection']).to.equal('close');
    expect((await call(server, 'HEAD', '/bkt/eaten.txt')).status).to.equal(404);
  });

  it("answers what Node's parser refuses with an OSS <Error> and a request id, never a bare status", async () => {
    expectOssError((await exchange(server, 'NOT HTTP AT ALL\r\n\r\n'))[0]!, 400, 'BadRequest');
    expectOssError(
      (await exchange(server, `GET /bkt/k HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`))[0]!,
      431,
      'BadRequest',
    );
    const badChunk = await exchange(
      server,
      'PUT /bkt/c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    );
    expectOssError(badChunk[0]!, 400, 'BadRequest');
  });
});
