/**
 * Raw requests to a local server, for the server specs: sent with undici or over a bare socket, exactly as written
 * (signed by the spec itself when it must be), so every header and status is visible as it is on the wire.
 */
import { connect } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { OssServer } from 'oss-stream/server';

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

/** A request body of unknown length (sent with chunked encoding, no Content-Length) made of `chunks`. */
export function chunkedBody(...chunks: Buffer[]): Readable {
  return Readable.from(chunks, { objectMode: false });
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

/**
 * Sends a hand-written HTTP/1.1 request (`Connection: close` is added) over a raw socket, for requests undici would
 * not send as is (a PUT with neither Content-Length nor chunked encoding). Resolves with the status line's code and
 * the raw text of the answer.
 */
export function rawRequest(
  server: OssServer,
  lines: string[],
  body?: Buffer,
): Promise<{ status: number; raw: string }> {
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
