import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { resolveClientOptions, type ClientOptions } from '../../lib/config.js';
import { HttpClient, RETRY_CHANNEL, type HttpRequest, type RetryEvent } from '../../lib/core/http.js';
import { OssAbortError, OssError, OssServiceError } from '../../lib/errors.js';
import { eventually } from '../support/eventually.js';

/** What the test server saw of one request. */
interface Seen {
  index: number;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  port: number;
  at: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => unknown;

interface TestServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const s: Seen = {
      index: seen.length,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      port: req.socket.remotePort ?? -1,
      at: performance.now(),
    };
    seen.push(s);
    void Promise.resolve(handler(req, res, s)).catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function collect(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function errorXml(code: string, requestId: string, extra = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' +
    `  <Code>${code}</Code>\n  <Message>${code} happened</Message>\n  <RequestId>${requestId}</RequestId>\n` +
    `  <HostId>127.0.0.1</HostId>${extra}\n</Error>`
  );
}

function sendError(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  const body = errorXml(code, `RID-${status}`);
  res.writeHead(status, { 'content-type': 'application/xml', 'x-oss-request-id': `RID-${status}`, ...headers });
  res.end(body);
}

/** A signer that stamps each attempt so the server can tell attempts apart. */
function stampingSigner(): { calls: { n: number; now: number; auth: string }[]; sign: HttpRequest['sign'] } {
  const calls: { n: number; now: number; auth: string }[] = [];
  return {
    calls,
    sign(headers, now) {
      const n = calls.length + 1;
      const auth = `sig-${n}-${now.getTime()}`;
      calls.push({ n, now: now.getTime(), auth });
      headers['x-attempt'] = String(n);
      headers['x-oss-date'] = now.toISOString();
      headers.authorization = auth;
      return headers;
    },
  };
}

const clients: HttpClient[] = [];
const servers: TestServer[] = [];
function client(opts: ClientOptions = {}): HttpClient {
  const c = new HttpClient(resolveClientOptions({ retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...opts }));
  clients.push(c);
  return c;
}
/** A GET the test server answers as it likes: no signature, no headers. */
function unsignedGet(url: string): HttpRequest {
  return { method: 'GET', url, headers: {}, operation: 'GetObject', sign: (h) => h };
}
async function server(handler: Handler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a spec reads whatever field the error it expects carries
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Destroys the connection as soon as the first body bytes arrive on attempt 1; answers 200 with the body's size after. */
function resetFirstAttempt(received: Buffer[]): Handler {
  return async (req, res, seen) => {
    if (seen.index === 0) {
      req.once('data', () => req.socket.destroy());
      return;
    }
    const body = await collect(req);
    received.push(body);
    res.writeHead(200, { 'x-oss-request-id': 'RID-ok' });
    res.end(String(body.length));
  };
}

describe('core/http HttpClient', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'oss-http-spec-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('returns a 2xx answer with its body unread, as a stream', async () => {
    // The rest of the body is sent only once request() has answered: the answer cannot have read it.
    let answered!: () => void;
    const requestAnswered = new Promise<void>((resolve) => (answered = resolve));
    const srv = await server(async (req, res) => {
      res.writeHead(200, { 'x-oss-request-id': 'RID-1', 'x-dup': ['a', 'b'] });
      res.write('hello ');
      await requestAnswered;
      res.end('world');
    });
    const signer = stampingSigner();
    const res = await client().request({
      method: 'GET',
      url: `${srv.url}/bucket/key?x=1`,
      headers: {},
      operation: 'GetObject',
      sign: signer.sign,
    });
    answered();
    expect(res.status).to.equal(200);
    expect(res.requestId).to.equal('RID-1');
    expect(res.headers['x-dup']).to.equal('a, b');
    expect(res.attempts).to.equal(1);
    const chunks: string[] = [];
    for await (const c of res.body) chunks.push(String(c));
    expect(chunks.join('')).to.equal('hello world');
    expect(srv.seen[0]!.url).to.equal('/bucket/key?x=1');
    expect(srv.seen[0]!.headers.authorization).to.equal(signer.calls[0]!.auth);
  });

  it('signs a copy of the headers: the request object is left untouched', async () => {
    const srv = await server((req, res) => res.end('ok'));
    const headers = { 'x-oss-meta-a': '1' };
    const res = await client().request({
      method: 'GET',
      url: srv.url,
      headers,
      operation: 'GetObject',
      sign: stampingSigner().sign,
    });
    expect(await res.text()).to.equal('ok');
    expect(headers).to.deep.equal({ 'x-oss-meta-a': '1' });
    expect(srv.seen[0]!.url).to.equal('/');
    expect(srv.seen[0]!.headers['x-oss-meta-a']).to.equal('1');
  });

  it('keeps connections alive across sequential requests', async () => {
    const srv = await server((req, res) => res.end('ok'));
    const c = client();
    for (let i = 0; i < 8; i++) {
      const res = await c.request({
        method: 'GET',
        url: `${srv.url}/k`,
        headers: {},
        operation: 'GetObject',
        sign: (h) => h,
      });
      expect(await res.text()).to.equal('ok');
    }
    // undici frees a connection a tick after the body ends, so back-to-back requests alternate over two sockets
    // (raw undici does the same); what matters is that 8 requests did not open 8 connections.
    expect(new Set(srv.seen.map((s) => s.port)).size).to.be.within(1, 2);
  });

  it('retries 500 until success, re-signing every attempt with a new date', async () => {
    const srv = await server(async (req, res, seen) => {
      await collect(req);
      if (seen.index < 2) {
        await new Promise((r) => setTimeout(r, 3)); // so each attempt's clock differs
        sendError(res, 500, 'InternalError');
      } else res.end('done');
    });
    const signer = stampingSigner();
    const body = Buffer.from('payload');
    const res = await client().request({
      method: 'PUT',
      url: `${srv.url}/b/k`,
      headers: {},
      body,
      operation: 'PutObject',
      sign: signer.sign,
    });
    expect(await res.text()).to.equal('done');
    expect(res.attempts).to.equal(3);
    expect(srv.seen.map((s) => s.headers['x-attempt'])).to.deep.equal(['1', '2', '3']);
    expect(srv.seen.map((s) => s.headers.authorization)).to.deep.equal(signer.calls.map((c) => c.auth));
    expect(new Set(signer.calls.map((c) => c.now)).size).to.equal(3);
    expect(srv.seen.map((s) => s.headers['content-length'])).to.deep.equal(['7', '7', '7']);
  });

  for (const status of [429, 408, 502, 503]) {
    it(`retries HTTP ${status}`, async () => {
      const srv = await server((req, res, seen) => (seen.index === 0 ? sendError(res, status, 'Busy') : res.end('ok')));
      const res = await client().request(unsignedGet(srv.url));
      expect(res.attempts).to.equal(2);
      expect(srv.seen.length).to.equal(2);
      await res.dump();
    });
  }

  for (const [status, code] of [
    [400, 'InvalidArgument'],
    [403, 'AccessDenied'],
    [409, 'FileAlreadyExists'],
    [301, 'PermanentRedirect'],
  ] as const) {
    it(`does not retry HTTP ${status} ${code}`, async () => {
      const srv = await server((req, res) => sendError(res, status, code));
      const err = await rejection(client().request(unsignedGet(srv.url)));
      expect(err).to.be.instanceOf(OssServiceError);
      expect(err.status).to.equal(status);
      expect(err.code).to.equal(code);
      expect(srv.seen.length).to.equal(1);
    });
  }

  it('surfaces a 404 at once with the code and request id of the XML body', async () => {
    const srv = await server((req, res) => sendError(res, 404, 'NoSuchKey'));
    const err = await rejection(
      client().request({
        method: 'GET',
        url: `${srv.url}/b/missing`,
        headers: {},
        operation: 'GetObject',
        sign: (h) => h,
      }),
    );
    expect(err).to.be.instanceOf(OssServiceError);
    expect(err.code).to.equal('NoSuchKey');
    expect(err.status).to.equal(404);
    expect(err.requestId).to.equal('RID-404');
    expect(err.hostId).to.equal('127.0.0.1');
    expect(srv.seen.length).to.equal(1);
  });

  it('treats only expectedStatus as success when given', async () => {
    const srv = await server((req, res) => {
      res.writeHead(204, { 'x-oss-request-id': 'RID-204' });
      res.end();
    });
    const err = await rejection(
      client().request({
        method: 'DELETE',
        url: srv.url,
        headers: {},
        operation: 'X',
        sign: (h) => h,
        expectedStatus: [200],
      }),
    );
    expect(err).to.be.instanceOf(OssServiceError);
    expect(err.status).to.equal(204);
    expect(err.requestId).to.equal('RID-204');
  });

  it('retries: 0 (client option) disables retries', async () => {
    const srv = await server((req, res) => sendError(res, 500, 'InternalError'));
    const err = await rejection(client({ retries: 0 }).request(unsignedGet(srv.url)));
    expect(err).to.be.instanceOf(OssServiceError);
    expect(err.code).to.equal('InternalError');
    expect(err.status).to.equal(500);
    expect(srv.seen.length).to.equal(1);
  });

  it('per-request retries override the client and bound the attempts', async () => {
    const srv = await server((req, res) => sendError(res, 503, 'ServiceUnavailable'));
    const c = client({ retries: 5 });
    const err0 = await rejection(c.request({ ...unsignedGet(srv.url), retries: 0 }));
    expect(err0.status).to.equal(503);
    expect(srv.seen.length).to.equal(1);
    const err2 = await rejection(c.request({ ...unsignedGet(srv.url), retries: 2 }));
    expect(err2.code).to.equal('ServiceUnavailable');
    expect(srv.seen.length).to.equal(4);
  });

  it('waits at least x-oss-qos-delay-time (ms) after a throttled 503', async () => {
    const srv = await server((req, res, seen) =>
      seen.index === 0
        ? sendError(res, 503, 'UploadTrafficRateLimitExceeded', { 'x-oss-qos-delay-time': '150' })
        : res.end('ok'),
    );
    const res = await client().request(unsignedGet(srv.url));
    await res.dump();
    expect(res.attempts).to.equal(2);
    expect(srv.seen[1]!.at - srv.seen[0]!.at).to.be.at.least(149);
  });

  it('corrects the clock from the server Date after RequestTimeTooSkewed and signs the retry with it', async () => {
    const hour = 3_600_000;
    const srv = await server((req, res, seen) => {
      if (seen.index === 0) {
        sendError(res, 403, 'RequestTimeTooSkewed', { date: new Date(Date.now() + hour).toUTCString() });
      } else {
        res.writeHead(200, { date: new Date(Date.now() + hour).toUTCString() });
        res.end('ok');
      }
    });
    const signer = stampingSigner();
    const c = client();
    const res = await c.request({
      method: 'PUT',
      url: srv.url,
      headers: {},
      body: 'x',
      operation: 'PutObject',
      sign: signer.sign,
    });
    await res.dump();
    expect(res.attempts).to.equal(2);
    expect(Math.abs(signer.calls[0]!.now - Date.now())).to.be.below(3000);
    expect(Math.abs(signer.calls[1]!.now - (Date.now() + hour))).to.be.below(3000);
    expect(Date.parse(String(srv.seen[1]!.headers['x-oss-date'])) - Date.now()).to.be.within(hour - 3000, hour + 3000);
    expect(c.clockSkewMs).to.be.within(hour - 3000, hour + 3000);
  });

  it('keeps no skew when the server clock agrees', async () => {
    const srv = await server((req, res) => res.end('ok'));
    const c = client();
    await (await c.request(unsignedGet(srv.url))).dump();
    expect(c.clockSkewMs).to.equal(0);
  });

  describe('connection reset mid-request', () => {
    it('resends a Uint8Array body in full', async () => {
      const received: Buffer[] = [];
      const srv = await server(resetFirstAttempt(received));
      const data = randomBytes(4 * 1024 * 1024);
      const signer = stampingSigner();
      const res = await client().request({
        method: 'PUT',
        url: `${srv.url}/b/k`,
        headers: {},
        body: data,
        operation: 'PutObject',
        sign: signer.sign,
      });
      expect(await res.text()).to.equal(String(data.length));
      expect(res.attempts).to.equal(2);
      expect(received.length).to.equal(1);
      expect(received[0]!.equals(data)).to.equal(true);
      expect(srv.seen.map((s) => s.headers['x-attempt'])).to.deep.equal(['1', '2']);
    });

    it('reopens a file range and resends exactly that range', async () => {
      const received: Buffer[] = [];
      const srv = await server(resetFirstAttempt(received));
      const data = randomBytes(5 * 1024 * 1024);
      const path = join(tmp, 'range.bin');
      writeFileSync(path, data);
      const offset = 1000;
      const length = 3 * 1024 * 1024 + 7;
      const res = await client().request({
        method: 'PUT',
        url: `${srv.url}/b/k`,
        headers: {},
        body: { kind: 'file', path, offset, length },
        operation: 'UploadPart',
        sign: (h) => h,
      });
      expect(await res.text()).to.equal(String(length));
      expect(res.attempts).to.equal(2);
      expect(received[0]!.equals(data.subarray(offset, offset + length))).to.equal(true);
      expect(srv.seen[1]!.headers['content-length']).to.equal(String(length));
    });

    it('does not retry a stream body once bytes left: one attempt, network error surfaced, source destroyed', async () => {
      const received: Buffer[] = [];
      const srv = await server(resetFirstAttempt(received));
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield randomBytes(64 * 1024);
        })(),
      );
      const signer = stampingSigner();
      const err = await rejection(
        client({ retries: 3 }).request({
          method: 'PUT',
          url: srv.url,
          headers: {},
          body: { kind: 'stream', stream: source },
          operation: 'PutObject',
          sign: signer.sign,
        }),
      );
      expect(err).to.be.instanceOf(OssError);
      expect(err.code).to.equal('NetworkError');
      expect(err.status).to.equal(-1);
      expect(err.cause).to.be.instanceOf(Error);
      expect(signer.calls.length).to.equal(1);
      expect(srv.seen.length).to.equal(1);
      expect(source.destroyed).to.equal(true);
    });

    it('reports progress per attempt, monotonic, ending at the body length', async () => {
      const received: Buffer[] = [];
      const srv = await server(resetFirstAttempt(received));
      const data = randomBytes(2 * 1024 * 1024 + 5);
      const calls: [number, number][] = [];
      const res = await client().request({
        method: 'PUT',
        url: srv.url,
        headers: {},
        body: data,
        operation: 'PutObject',
        sign: (h) => h,
        onBodyProgress: (n, attempt) => calls.push([n, attempt]),
      });
      await res.dump();
      expect(res.attempts).to.equal(2);
      const second = calls.filter(([, a]) => a === 2).map(([n]) => n);
      const expected: number[] = [];
      for (let n = 65536; n < data.length; n += 65536) expected.push(n);
      expected.push(data.length);
      expect(second).to.deep.equal(expected);
      const first = calls.filter(([, a]) => a === 1).map(([n]) => n);
      for (let i = 1; i < first.length; i++) expect(first[i]).to.be.above(first[i - 1]!);
      expect(calls.every(([, a]) => a === 1 || a === 2)).to.equal(true);
      expect(received[0]!.equals(data)).to.equal(true);
    });
  });

  it('retries an untouched stream body after a refused connection', async () => {
    const tmpSrv = await startServer((req, res) => res.end());
    const url = tmpSrv.url;
    await tmpSrv.close();
    const signer = stampingSigner();
    const source = Readable.from([Buffer.from('abc')]);
    const err = await rejection(
      client({ retries: 2 }).request({
        method: 'PUT',
        url,
        headers: {},
        body: { kind: 'stream', stream: source },
        operation: 'PutObject',
        sign: signer.sign,
      }),
    );
    expect(err).to.be.instanceOf(OssError);
    expect(err.code).to.equal('NetworkError');
    expect(signer.calls.length).to.equal(3);
    expect(source.destroyed).to.equal(false);
  });

  it('passes an unreadable file error through as is, without retrying', async () => {
    const srv = await server(async (req, res) => {
      await collect(req);
      res.end();
    });
    const signer = stampingSigner();
    const err = await rejection(
      client().request({
        method: 'PUT',
        url: srv.url,
        headers: {},
        body: { kind: 'file', path: join(tmp, 'missing.bin'), offset: 0, length: 10 },
        operation: 'PutObject',
        sign: signer.sign,
      }),
    );
    expect(err.code).to.equal('ENOENT');
    expect(signer.calls.length).to.equal(1);
  });

  it('turns a headers timeout into RequestTimeout after the retries (slow: undici timer resolution)', async () => {
    const srv = await server(() => {
      /* never answers */
    });
    const started = performance.now();
    const err = await rejection(client({ headersTimeoutMs: 100, retries: 1 }).request(unsignedGet(srv.url)));
    expect(err).to.be.instanceOf(OssError);
    expect(err.code).to.equal('RequestTimeout');
    expect(err.status).to.equal(-1);
    expect(err.cause.code).to.equal('UND_ERR_HEADERS_TIMEOUT');
    expect(srv.seen.length).to.equal(2);
    // undici checks headers timeouts on a coarse (~1 s) clock, so 100 ms means up to about a second per attempt
    expect(performance.now() - started).to.be.within(190, 2600);
  });

  describe('abort', () => {
    it('rejects at once when the signal is already aborted, sending nothing', async () => {
      const srv = await server((req, res) => res.end());
      const reason = new Error('stop');
      const err = await rejection(
        client().request({
          ...unsignedGet(srv.url),
          signal: AbortSignal.abort(reason),
        }),
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect(err.name).to.equal('AbortError');
      expect(err.cause).to.equal(reason);
      expect(srv.seen.length).to.equal(0);
    });

    it('aborts a request in flight fast', async () => {
      const srv = await server(() => {
        /* never answers */
      });
      const ac = new AbortController();
      const reason = new Error('user cancelled');
      void eventually(() => srv.seen.length === 1).then(() => ac.abort(reason)); // in flight: at the server
      const started = performance.now();
      const err = await rejection(
        client().request({
          ...unsignedGet(srv.url),
          signal: ac.signal,
        }),
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect(err.cause).to.equal(reason);
      expect(performance.now() - started).to.be.below(1000);
      expect(srv.seen.length).to.equal(1);
    });

    it('aborts a stream upload mid-body and releases the source', async () => {
      const srv = await server((req) => req.resume()); // reads, never answers
      const source = new Readable({ read() {} });
      source.push(Buffer.alloc(1024, 1)); // more never comes: the upload is stuck mid-body
      const ac = new AbortController();
      void eventually(() => srv.seen.length === 1).then(() => ac.abort(new Error('bye'))); // mid-body: at the server
      const err = await rejection(
        client().request({
          method: 'PUT',
          url: srv.url,
          headers: {},
          body: { kind: 'stream', stream: source },
          operation: 'PutObject',
          sign: (h) => h,
          signal: ac.signal,
        }),
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect(source.destroyed).to.equal(true);
      expect(srv.seen.length).to.equal(1);
    });

    it('aborts during the backoff without waiting it out', async () => {
      const srv = await server((req, res) =>
        sendError(res, 503, 'ServiceUnavailable', { 'x-oss-qos-delay-time': '10000' }),
      );
      const ac = new AbortController();
      const reason = new Error('enough');
      const started = performance.now();
      // published as the 10 s backoff begins; the abort comes a turn later, while it is being waited out
      const onRetry = (): void => void setImmediate(() => ac.abort(reason));
      subscribe(RETRY_CHANNEL, onRetry);
      const err = await rejection(
        client().request({
          ...unsignedGet(srv.url),
          signal: ac.signal,
        }),
      ).finally(() => unsubscribe(RETRY_CHANNEL, onRetry));
      expect(err).to.be.instanceOf(OssAbortError);
      expect(err.cause).to.equal(reason);
      expect(performance.now() - started).to.be.below(1000);
      expect(srv.seen.length).to.equal(1);
    });
  });

  describe('framing', () => {
    it('sends a stream without length as transfer-encoding: chunked', async () => {
      let got: Buffer | undefined;
      const srv = await server(async (req, res) => {
        got = await collect(req);
        res.end();
      });
      const parts = [Buffer.from('ab'), Buffer.from('cde'), Buffer.from('f')];
      const res = await client().request({
        method: 'PUT',
        url: srv.url,
        headers: {},
        body: { kind: 'stream', stream: Readable.from(parts) },
        operation: 'PutObject',
        sign: (h) => h,
      });
      await res.dump();
      expect(srv.seen[0]!.headers['transfer-encoding']).to.equal('chunked');
      expect(srv.seen[0]!.headers['content-length']).to.equal(undefined);
      expect(got!.toString()).to.equal('abcdef');
    });

    it('sends a stream with a caller content-length as is, with progress', async () => {
      let got: Buffer | undefined;
      const srv = await server(async (req, res) => {
        got = await collect(req);
        res.end();
      });
      async function* gen(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array([1, 2, 3]);
        yield new Uint8Array([4, 5]);
      }
      const calls: number[] = [];
      const res = await client().request({
        method: 'PUT',
        url: srv.url,
        headers: { 'content-length': '5' },
        body: { kind: 'stream', stream: gen() },
        operation: 'PutObject',
        sign: (h) => h,
        onBodyProgress: (n) => calls.push(n),
      });
      await res.dump();
      expect(srv.seen[0]!.headers['content-length']).to.equal('5');
      expect(srv.seen[0]!.headers['transfer-encoding']).to.equal(undefined);
      expect([...got!]).to.deep.equal([1, 2, 3, 4, 5]);
      expect(calls).to.deep.equal([3, 5]);
    });

    it('sends bytes, strings and file ranges with content-length (added when missing)', async () => {
      const bodies: Buffer[] = [];
      const srv = await server(async (req, res) => {
        bodies.push(await collect(req));
        res.end();
      });
      const path = join(tmp, 'frame.bin');
      writeFileSync(path, '0123456789');
      const c = client();
      const cases: HttpRequest['body'][] = [
        new Uint8Array([9, 8, 7]),
        'héllo',
        { kind: 'file', path, offset: 2, length: 5 },
      ];
      for (const body of cases) {
        await (
          await c.request({
            method: 'PUT',
            url: srv.url,
            headers: {},
            body,
            operation: 'PutObject',
            sign: (h) => h,
            onBodyProgress: () => {},
          })
        ).dump();
      }
      expect(srv.seen.map((s) => s.headers['content-length'])).to.deep.equal(['3', '6', '5']);
      expect(srv.seen.map((s) => s.headers['transfer-encoding'])).to.deep.equal([undefined, undefined, undefined]);
      expect(bodies.map((b) => b.toString('latin1'))).to.deep.equal([
        '\x09\x08\x07',
        Buffer.from('héllo').toString('latin1'),
        '23456',
      ]);
    });

    it('reports file-range progress monotonic up to the range length', async () => {
      const srv = await server(async (req, res) => {
        await collect(req);
        res.end();
      });
      const path = join(tmp, 'progress.bin');
      writeFileSync(path, randomBytes(1_200_000));
      const calls: number[] = [];
      await (
        await client().request({
          method: 'PUT',
          url: srv.url,
          headers: {},
          body: { kind: 'file', path, offset: 10, length: 1_100_000 },
          operation: 'UploadPart',
          sign: (h) => h,
          onBodyProgress: (n) => calls.push(n),
        })
      ).dump();
      expect(calls.length).to.be.at.least(4);
      for (let i = 1; i < calls.length; i++) expect(calls[i]).to.be.above(calls[i - 1]!);
      expect(calls.at(-1)).to.equal(1_100_000);
    });
  });

  it('publishes retries on the diagnostics channel, without headers', async () => {
    const srv = await server((req, res, seen) => (seen.index === 0 ? sendError(res, 500, 'InternalError') : res.end()));
    const events: RetryEvent[] = [];
    const onMessage = (m: unknown): void => void events.push(m as RetryEvent);
    subscribe(RETRY_CHANNEL, onMessage);
    try {
      const res = await client().request({
        method: 'GET',
        url: srv.url,
        headers: {},
        operation: 'GetObject',
        sign: stampingSigner().sign,
      });
      await res.dump();
    } finally {
      unsubscribe(RETRY_CHANNEL, onMessage);
    }
    expect(events.length).to.equal(1);
    const { delayMs, ...rest } = events[0]!;
    expect(rest).to.deep.equal({ operation: 'GetObject', attempt: 1, code: 'InternalError', status: 500 });
    expect(delayMs).to.be.within(0, 1);
    expect(JSON.stringify(events)).not.to.include('sig-');
  });

  it('maps a content-length mismatch to RequestError without retrying', async () => {
    const srv = await server(async (req, res) => {
      await collect(req);
      res.end();
    });
    const signer = stampingSigner();
    const err = await rejection(
      client().request({
        method: 'PUT',
        url: srv.url,
        headers: { 'content-length': '10' },
        body: new Uint8Array(3),
        operation: 'PutObject',
        sign: signer.sign,
      }),
    );
    expect(err).to.be.instanceOf(OssError);
    expect(err.code).to.equal('RequestError');
    expect(err.status).to.equal(-1);
    expect(err.cause.code).to.equal('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
    expect(signer.calls.length).to.equal(1);
  });

  it('rejects requests after close() with RequestError', async () => {
    const srv = await server((req, res) => res.end());
    const c = client();
    await c.close();
    const err = await rejection(c.request(unsignedGet(srv.url)));
    expect(err.code).to.equal('RequestError');
    expect(srv.seen.length).to.equal(0);
  });

  it('rejects a dispatcher that is not one', () => {
    expect(() => new HttpClient(resolveClientOptions({ dispatcher: {} }))).to.throw(OssError, /dispatcher/);
  });
});
