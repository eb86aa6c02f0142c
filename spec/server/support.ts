/**
 * Helpers for the server specs: start a server (anonymous unless asked otherwise) and send raw HTTP requests with
 * undici, so every header and status is visible as sent on the wire.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { OssServer, type ServerOptions } from '../../lib/server/index.js';

/** Starts a server with bucket `bkt`, anonymous, unless `opts` says otherwise. */
export function startServer(opts: ServerOptions = {}): Promise<OssServer> {
  return OssServer.start({ anonymous: true, buckets: ['bkt'], ...opts });
}

/** A response, fully read. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Options of {@link call}. */
export interface CallOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | Readable | null;
}

/** Sends `method path` (path includes bucket and query) and reads the whole answer. */
export async function call(server: OssServer, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const res = await request(`${server.endpoint}${path}`, {
    method: method as Dispatcher.HttpMethod,
    headers: opts.headers ?? {},
    body: opts.body ?? null,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') };
}

/** A chunked body (no Content-Length) made of `chunks`. */
export function chunked(...chunks: Buffer[]): Readable {
  return Readable.from(chunks, { objectMode: false });
}

/** Quoted upper-case hex MD5, the ETag of a PutObject/UploadPart of `data`. */
export function md5Etag(data: Buffer | string): string {
  return `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`;
}

/** Base64 MD5 (Content-MD5). */
export function md5b64(data: Buffer | string): string {
  return createHash('md5').update(data).digest('base64');
}

/** Deterministic bytes: buf[i] = (i*7+3) & 0xff. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3 + seed) & 0xff;
  return b;
}

/** The `<Code>` of an error body (or of a HEAD `x-oss-err` header). */
export function errorCode(a: Answer): string | undefined {
  const xml = a.text !== '' ? a.text : Buffer.from(String(a.headers['x-oss-err'] ?? ''), 'base64').toString('utf8');
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

/** Text of the first `<name>` element of `xml`. */
export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** Texts of every `<name>` element of `xml`. */
export function xmlFields(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);
}

// An independent CRC-64/ECMA-182 (native addon from crc64-ecma182), so specs do not grade the server's CRC with
// the server's own code.
const crcLib = createRequire(import.meta.url)('crc64-ecma182') as {
  crc64(data: Buffer): Buffer;
  toUInt64String(crc: Buffer): string;
};

/** CRC-64 of `data` as OSS's decimal string, computed by an independent implementation. */
export function crcOf(data: Buffer | string): string {
  return crcLib.toUInt64String(crcLib.crc64(Buffer.isBuffer(data) ? data : Buffer.from(data)));
}

/**
 * Sends a hand-written HTTP/1.1 request (`Connection: close` is added) over a raw socket, for requests undici would
 * not send as is (a PUT with neither Content-Length nor chunked encoding). Resolves with the status line's code and
 * the raw text of the answer.
 */
export function rawRequest(server: OssServer, lines: string[], body?: Buffer): Promise<{ status: number; raw: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), raw });
    });
    sock.write(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    if (body !== undefined) sock.write(body);
  });
}
