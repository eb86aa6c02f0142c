/**
 * The local OSS server the specs run against, over real HTTP, and clients for it. One definition of the spec
 * credentials and bucket, so every spec's server accepts every spec's client. Nothing here mocks the HTTP layer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auth, Bucket, type ClientOptions, type CredentialsProvider } from 'oss-stream';
import { OssServer, type ServerOptions } from 'oss-stream/server';
import { readAll } from './bytes.js';

/** The permanent key pair every spec server accepts. */
export const CRED = Object.freeze({ accessKeyId: 'spec-ak', accessKeySecret: 'spec-sk-secret' });
/** An STS credential the spec servers accept only with its token. */
export const STS = Object.freeze({
  accessKeyId: 'STS.spec',
  accessKeySecret: 'spec-sts-sk',
  securityToken: 'spec-sts-token',
});
/** The bucket every signed spec server creates. */
export const BUCKET = 'spec-bucket';
/** The bucket of {@link startAnonymousServer}. */
export const ANON_BUCKET = 'bkt';

/** Starts a server that requires signatures ({@link CRED} or {@link STS}) with bucket {@link BUCKET}. */
export function startServer(opts: ServerOptions = {}): Promise<OssServer> {
  return OssServer.start({ credentials: [CRED, STS], buckets: [BUCKET], ...opts });
}

/**
 * Starts a server with bucket {@link ANON_BUCKET} that accepts unsigned requests unless `opts` says otherwise: for
 * the server specs, which send raw requests (see raw-http.ts) and look at every header as sent.
 */
export function startAnonymousServer(opts: ServerOptions = {}): Promise<OssServer> {
  return OssServer.start({ anonymous: true, buckets: [ANON_BUCKET], ...opts });
}

/** A V4 client of `server`'s {@link BUCKET} with {@link CRED} and fast retries. */
export function clientFor(server: { endpoint: string }, opts: ClientOptions = {}): Bucket {
  return new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), server.endpoint, BUCKET, {
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 20,
    ...opts,
  });
}

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
 * Registers `before`/`after` hooks that start one server ({@link startServer}) and a client, and a `beforeEach`
 * that clears fault rules and counters. Read the fields inside tests or hooks.
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
      const b = new Bucket(
        auth ?? new Auth(CRED.accessKeyId, CRED.accessKeySecret),
        state.server!.endpoint,
        bucketName ?? BUCKET,
        {
          retryBaseDelayMs: 1,
          retryMaxDelayMs: 5,
          ...rest,
        },
      );
      clients.push(b);
      return b;
    },
  };
  before(async () => {
    state.dir = await mkdtemp(join(tmpdir(), 'oss-stream-spec-'));
    state.server = await startServer(serverOpts);
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

/** The object's bytes, read with `bucket` (full read: CRC-verified by the client). */
export async function download(bucket: Bucket, key: string): Promise<Buffer> {
  return readAll((await bucket.getObject(key)).body);
}
