/**
 * The local OSS-compatible server: an HTTP server on a port of your choice that speaks the OSS upload protocol
 * (the operations are in the README's table, the error codes in `docs/errors.md`), backed by a directory or by
 * nothing at all.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { rm } from 'node:fs/promises';
import type { ServerCredential } from './auth.js';
import { BucketRegistry } from './bucket-registry.js';
import type { ServerCore } from './context.js';
import { FaultInjector } from './faults.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { createRequestHandler } from './request-handler.js';
import { errorReply, newRequestId } from './respond.js';
import { ServerError } from './server-error.js';
import { ServerStats } from './stats.js';
import { DiscardStore } from './storage/discard-store.js';
import { DiskStore } from './storage/disk-store.js';

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 1000;

/** Parser errors that are not a plain 400 (the statuses Node itself would answer), with the OSS code we send. */
const PARSER_REFUSALS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'BadRequest',
    message: 'The request line and headers exceed 16 KiB.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'RequestTimeout',
    message: 'The request head did not arrive in time.',
  },
};

/** Per connection, the last request handed to the handler and the end of its answer. */
const answering = new WeakMap<Duplex, { req: IncomingMessage; answered: Promise<void> }>();

/**
 * Answers a request Node's parser refused, the OSS way: an `<Error>` XML body with a request id (never a bare
 * status line), 431 when its head exceeds Node's `maxHeaderSize` (16 KiB: request line plus headers), 408 when the
 * head did not arrive in time, 400 BadRequest for any other malformed request, then closes. An answer to an earlier,
 * complete request of the same keep-alive connection still being written goes out first, so each answer stays
 * paired with its request. The refusal is sent with a half-close while what the client still sends is read and
 * dropped for a moment: closing with unread input would reset the connection, and the client would see a bare
 * ECONNRESET instead of the answer.
 */
function refuseUnparsable(err: NodeJS.ErrnoException, socket: Duplex, hostId: string): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const refusal = PARSER_REFUSALS[err.code ?? ''] ?? {
    status: 400,
    code: 'BadRequest',
    message: `The request is not valid HTTP/1.1: ${err.message.replace(/^Parse Error: /, '')}`,
  };
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const requestId = newRequestId();
  const error = new ServerError(refusal.status, refusal.code, refusal.message);
  const reply = errorReply(error, { requestId, hostId, method: 'GET' });
  const body = Buffer.from(String(reply.body), 'utf8');
  const headers = {
    server: 'AliyunOSS',
    date: new Date().toUTCString(),
    'x-oss-request-id': requestId,
    ...reply.headers,
    'content-length': String(body.length),
    connection: 'close',
  };
  const head =
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Bad Request'}\r\n` +
    `${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
  const send = (): void => {
    if (!socket.writable) return;
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  // A request whose body was still arriving is the one that failed to parse: answer now (its handler gives up when
  // the connection closes). A complete one is answered first.
  const pending = answering.get(socket);
  if (pending === undefined || !pending.req.complete) send();
  else void pending.answered.then(send);
}

/**
 * A running local OSS server.
 *
 * Faithful to the service where it matters to clients: status codes, error codes and `<Error>` bodies, ETags,
 * `x-oss-hash-crc64ecma`, append positions, multipart rules, V1/V4 signatures and presigned URLs. Deliberate
 * differences: upload callbacks are only sent to loopback addresses (`localhost`, `127.0.0.0/8`, `::1`; any other
 * `callbackUrl` answers 203 CallbackFailed) and are not RSA-signed; operations it does not implement (LiveChannel,
 * image processing, lifecycle, bucket configuration…: see the README's table) answer 501. With disk storage,
 * everything survives a restart (even `kill -9`) on the same root: objects, and multipart uploads in progress with
 * exactly the parts whose UploadPart was answered.
 *
 * @example
 * ```ts
 * const server = await OssServer.start({
 *   buckets: ['demo'],
 *   credentials: [{ accessKeyId: 'ak', accessKeySecret: 'sk' }],
 * });
 * // point any OSS client at server.endpoint (path-style: http://127.0.0.1:<port>/demo/key) with region server.region
 * server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'reset', afterBytes: 1024 } });
 * await server.close();
 * ```
 */
export class OssServer {
  /** Fault rules; see {@link FaultInjector}. */
  readonly faults = new FaultInjector();
  /** Request and byte counters per operation. */
  readonly stats = new ServerStats();
  #http: Server;
  #options: ResolvedServerOptions;
  #core: ServerCore;
  #ownsRoot: boolean;
  #closed: Promise<void> | undefined;

  private constructor(http: Server, options: ResolvedServerOptions, core: ServerCore, ownsRoot: boolean) {
    this.#http = http;
    this.#options = options;
    this.#core = core;
    this.#ownsRoot = ownsRoot;
  }

  /**
   * Loads `root` (objects from an earlier run are kept), creates `buckets`, and listens.
   * Defaults: port 0 (a free one), host `127.0.0.1`, root a fresh temp dir (removed by {@link close}), region
   * `cn-hangzhou`, one credential `test-ak`/`test-sk`, signatures required, disk storage, OSS's limits.
   */
  static async start(opts: ServerOptions = {}): Promise<OssServer> {
    const options = await resolveServerOptions(opts);
    const store = options.storage === 'disk' ? new DiskStore(options.root) : new DiscardStore(options.root);
    const registry = new BucketRegistry(store);
    await registry.load();
    for (const b of options.buckets) await registry.create(b);
    const core: ServerCore = { options, registry, store };
    // The lenient parser lets a request carry both Content-Length and Transfer-Encoding: chunked, which ali-oss sends
    // for `put(stream, { headers: { 'Content-Length': n } })` and OSS stores: the body is decoded as chunked (RFC
    // 9112 §6.3) and its length checked against Content-Length (see `receive` in context.ts). Node's strict parser
    // refuses such requests before any handler runs. A local test server has no proxy in front of it to be
    // confused by the leniency.
    const http = createServer({ requestTimeout: 0, keepAliveTimeout: 30_000, insecureHTTPParser: true });
    const server = new OssServer(http, options, core, opts.root === undefined);
    const handler = createRequestHandler(core, server.faults, server.stats);
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      answering.set(req.socket, { req, answered: new Promise((resolve) => res.once('close', resolve)) });
      handler(req, res);
    });
    // A client that vanishes mid-request, or sends what cannot be parsed, must not take the server down.
    http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => refuseUnparsable(err, socket, options.host));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  /** `http://<host>:<port>` (IPv6 hosts in brackets). */
  get endpoint(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `http://${host}:${this.port}`;
  }

  /** The port listened on. */
  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }

  /** The region V4 signatures must name (`cn-hangzhou` unless configured). */
  get region(): string {
    return this.#options.region;
  }

  /** The data directory. */
  get root(): string {
    return this.#options.root;
  }

  /** The accepted credentials. */
  get credentials(): readonly ServerCredential[] {
    return this.#options.credentials;
  }

  /** `'disk'` or `'discard'`. */
  get storage(): 'disk' | 'discard' {
    return this.#options.storage;
  }

  /** Creates a bucket (idempotent). */
  async createBucket(name: string): Promise<void> {
    await this.#core.registry.create(name);
  }

  /**
   * Stops listening, cuts open connections, and removes the root if it was a temp dir created by {@link start}.
   * Idempotent. A body still arriving is abandoned: its handler drops the staged file when it sees the connection
   * gone, and whatever is left in `<root>/tmp` is wiped at the next start on that root (which finds the objects and
   * the multipart uploads in progress as they were, with disk storage).
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await new Promise<void>((resolve) => {
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
      if (this.#ownsRoot) await rm(this.#options.root, { recursive: true, force: true });
    })();
    return this.#closed;
  }
}
