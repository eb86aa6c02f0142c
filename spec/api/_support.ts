/**
 * Helpers for the client specs: one local OSS server per spec file (port 0, fresh temp root, signatures required),
 * clients pointed at it, and small byte/stream utilities. Nothing here mocks the HTTP layer.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Auth, Bucket, type ClientOptions, type CredentialsProvider } from 'oss-stream';
import { OssServer, type ServerOptions } from 'oss-stream/server';

/** The permanent key pair every spec server accepts. */
export const CRED = Object.freeze({ accessKeyId: 'spec-ak', accessKeySecret: 'spec-sk' });
/** An STS credential the spec servers accept only with its token. */
export const STS = Object.freeze({ accessKeyId: 'STS.spec', accessKeySecret: 'spec-sts-sk', securityToken: 'spec-sts-token' });
/** The bucket every spec server creates. */
export const BUCKET = 'spec-bucket';

/** A local server with a client, set up by {@link useLocalOss} around a `describe` block. */
export interface LocalOss {
  readonly server: OssServer;
  /** V4 client with fast retries. */
  readonly bucket: Bucket;
  /** A scratch directory removed after the block. */
  readonly dir: string;
  /** Another client on the same server (closed after the block). */
  client(opts?: ClientOptions & { auth?: CredentialsProvider; bucketName?: string }): Bucket;
}

/**
 * Registers `before`/`after` hooks that start one server (with {@link CRED}, {@link STS} and {@link BUCKET}) and a
 * client, and a `beforeEach` that clears fault rules and counters. Read the fields inside tests or hooks.
 */
export function useLocalOss(serverOpts: ServerOptions = {}): LocalOss {
  const clients: Bucket[] = [];
  const state: { server?: OssServer; bucket?: Bucket; dir?: string } = {};
  const local: LocalOss = {
    get server() {
      return state.server!;
    },
    get bucket() {
      return state.bucket!;
    },
    get dir() {
      return state.dir!;
    },
    client(opts = {}) {
      const { auth, bucketName, ...rest } = opts;
      const b = new Bucket(auth ?? new Auth(CRED.accessKeyId, CRED.accessKeySecret), state.server!.endpoint, bucketName ?? BUCKET, {
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
        ...rest,
      });
      clients.push(b);
      return b;
    },
  };
  before(async () => {
    state.dir = await mkdtemp(join(tmpdir(), 'oss-stream-spec-'));
    state.server = await OssServer.start({ credentials: [CRED, STS], buckets: [BUCKET], ...serverOpts });
    state.bucket = local.client();
  });
  beforeEach(() => {
    state.server!.faults.clear();
    state.server!.stats.reset();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await state.server?.close();
    if (state.dir !== undefined) await rm(state.dir, { recursive: true, force: true });
  });
  return local;
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable | AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(chunks);
}

/** The object's bytes, read with `bucket` (full read: CRC-verified by the client). */
export async function download(bucket: Bucket, key: string): Promise<Buffer> {
  return readAll((await bucket.getObject(key)).body);
}

/** The rejection of `p`; fails the test when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, the call succeeded');
}

/** Deterministic bytes that differ per `seed`. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** `data` cut into chunks of the given sizes, cycling. */
export function cut(data: Buffer, sizes: readonly number[] = [1, 7, 4093, 65_536, 100_003]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Quoted upper-case hex MD5: the ETag of a PutObject/UploadPart of `data`. */
export function md5Etag(data: Uint8Array | string): string {
  return `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`;
}

// An independent CRC-64 (the crc64-ecma182 native addon), so specs do not grade our CRC with our own code.
const crcLib = createRequire(import.meta.url)('crc64-ecma182') as {
  crc64(data: Buffer): Buffer;
  toUInt64String(crc: Buffer): string;
};

/** CRC-64/XZ of `data` as OSS's decimal string, by an independent implementation. */
export function oracleCrc(data: Buffer | string): string {
  return crcLib.toUInt64String(crcLib.crc64(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')));
}

/** A progress callback that records every call. */
export function recorder(): { calls: Array<[number, number | null]>; cb: (n: number, total: number | null) => void } {
  const calls: Array<[number, number | null]> = [];
  return { calls, cb: (n, total) => void calls.push([n, total]) };
}

/** A request the callback server received. */
export interface CallbackHit {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local upload-callback receiver on 127.0.0.1: `POST /ok…` answers 200 with a JSON body, `POST /fail…` 500.
 */
export async function startCallbackServer(): Promise<{ url: string; hits: CallbackHit[]; close(): Promise<void> }> {
  const hits: CallbackHit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      if ((req.url ?? '').startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('callback receiver refuses');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
