/**
 * Writing answers the way OSS does: common headers on every response (`x-oss-request-id`, `Date`,
 * `Server: AliyunOSS`, `x-oss-server-time`), `<Error>` XML bodies with `x-oss-ec`, and on HEAD an empty body with
 * the error XML base64-encoded in `x-oss-err`.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildErrorXml } from '../core/xml.js';
import { ecFor } from './error-codes.js';
import { ServerError } from './server-error.js';
import { randomHex } from './ids.js';
import type { Throttle } from './traffic-limit.js';

/** What an operation answers. */
export interface Reply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** A small body, sent with its Content-Length. */
  body?: Buffer | string;
  /** A streamed body (GetObject); `headers['content-length']` must be set. */
  stream?: Readable;
  /** Called exactly once when the response is finished or abandoned (releases blob holds). */
  release?: () => void;
}

/** Per-request facts the writer needs. */
export interface ReplyScope {
  requestId: string;
  /** `performance.now()` at arrival, for `x-oss-server-time`. */
  started: number;
  method: string;
  /** `<HostId>` of error bodies. */
  hostId: string;
  onBytesOut: (n: number) => void;
  /** Injected fault: destroy the connection after this many response body bytes. */
  resetAfterBytes?: number | undefined;
  /** Destroys the connection the way a network reset would. */
  reset: () => void;
  /** Paces a streamed answer body (`x-oss-traffic-limit`), when asked for. */
  throttle?: Throttle | undefined;
}

/** A fresh request id: 24 upper-case hex characters, like OSS's. */
export function newRequestId(): string {
  return randomHex(12).toUpperCase();
}

/** The `<Error>` answer for `err` (its status, code, message, extra elements and headers). */
export function errorReply(err: ServerError, scope: Pick<ReplyScope, 'requestId' | 'hostId' | 'method'>): Reply {
  const ec = err.extra['EC'] ?? ecFor(err.code);
  const fields: Record<string, string | undefined> = {
    Code: err.code,
    Message: err.message,
    RequestId: scope.requestId,
    HostId: scope.hostId,
  };
  for (const [k, v] of Object.entries(err.extra)) if (k !== 'EC') fields[k] = v;
  if (ec !== undefined) {
    fields['EC'] = ec;
    fields['RecommendDoc'] = `https://api.aliyun.com/troubleshoot?q=${ec}`;
  }
  const xml = buildErrorXml(fields);
  const headers: Record<string, string> = { 'content-type': 'application/xml', ...err.headers };
  if (ec !== undefined) headers['x-oss-ec'] = ec;
  if (scope.method === 'HEAD') {
    headers['x-oss-err'] = Buffer.from(xml, 'utf8').toString('base64');
    return { status: err.status, headers };
  }
  return { status: err.status, headers, body: xml };
}

/** Converts anything thrown by an operation into a {@link ServerError} (unknown failures become 500 InternalError). */
export function toServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'MalformedXML') return new ServerError(400, 'MalformedXML', (err as Error).message);
  return new ServerError(500, 'InternalError', 'We encountered an internal error. Please try again.');
}

/** Writes `reply` with the common headers; resolves when the response finished or the connection is gone. */
export function sendReply(res: ServerResponse, reply: Reply, scope: ReplyScope): Promise<void> {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    reply.release?.();
  };
  return new Promise<void>((resolve) => {
    res.once('close', () => {
      reply.stream?.destroy();
      release();
      resolve();
    });
    const headers: Record<string, string> = {
      server: 'AliyunOSS',
      date: new Date().toUTCString(),
      'x-oss-request-id': scope.requestId,
      'x-oss-server-time': String(Math.max(0, Math.round(performance.now() - scope.started))),
      ...reply.headers,
    };
    const head = scope.method === 'HEAD';
    if (reply.stream === undefined) {
      const body =
        reply.body === undefined
          ? undefined
          : Buffer.isBuffer(reply.body)
            ? reply.body
            : Buffer.from(reply.body, 'utf8');
      if (!head || headers['content-length'] === undefined) headers['content-length'] = String(body?.length ?? 0);
      res.writeHead(reply.status, headers);
      if (body !== undefined && body.length > 0 && !head) {
        scope.onBytesOut(body.length);
        res.end(body);
      } else res.end();
      return;
    }
    res.writeHead(reply.status, headers);
    if (head) {
      reply.stream.destroy();
      res.end();
      return;
    }
    pump(reply.stream, res, scope);
  });
}

/** Writes `chunk` slice by slice, each when the throttle lets it go and the socket has room. */
async function writePaced(res: ServerResponse, chunk: Buffer, throttle: Throttle): Promise<void> {
  for (let off = 0; off < chunk.length && !res.destroyed; off += throttle.sliceBytes) {
    const slice = chunk.subarray(off, off + throttle.sliceBytes);
    const wait = throttle.take(slice.length);
    if (!res.write(slice)) await new Promise((resolve) => res.once('drain', resolve));
    if (wait > 0) await sleep(wait);
  }
}

/**
 * Copies `src` into `res` with backpressure, counting bytes and honouring a reset-after-N-bytes fault and
 * `x-oss-traffic-limit`.
 */
function pump(src: Readable, res: ServerResponse, scope: ReplyScope): void {
  let sent = 0;
  const limit = scope.resetAfterBytes;
  if (limit === 0) {
    src.destroy();
    scope.reset();
    return;
  }
  src.on('data', (chunk: Buffer) => {
    if (limit !== undefined && sent + chunk.length >= limit) {
      const part = chunk.subarray(0, limit - sent);
      sent += part.length;
      scope.onBytesOut(part.length);
      src.destroy();
      // Close (not RST) once the partial chunk was handed to the socket, so the client sees exactly `limit` bytes
      // and then a premature end of the body.
      res.write(part, () => res.destroy());
      return;
    }
    sent += chunk.length;
    scope.onBytesOut(chunk.length);
    if (scope.throttle !== undefined) {
      src.pause();
      void writePaced(res, chunk, scope.throttle).then(
        () => src.resume(),
        () => src.destroy(),
      );
      return;
    }
    if (!res.write(chunk)) src.pause();
  });
  res.on('drain', () => {
    if (scope.throttle === undefined) src.resume();
  });
  src.once('end', () => {
    const wait = scope.throttle?.pending() ?? 0;
    if (wait > 0) setTimeout(() => res.end(), wait);
    else res.end();
  });
  src.once('error', () => res.destroy());
}
