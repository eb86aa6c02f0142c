/**
 * Options of the local OSS server and their defaults, resolved once at start.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveLimits, type OssLimits } from '../config.js';
import type { ServerCredential } from './auth.js';
import { invalidBucketNameMessage, isValidBucketName } from '../core/validate.js';

export type { ServerCredential };

/** Where object bytes go. */
export type StorageMode = 'disk' | 'discard';

/** Options of {@link OssServer.start}. */
export interface ServerOptions {
  /** TCP port; `0` (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Data directory; default a fresh directory under the OS temp dir. Reused data in it is loaded at start. */
  root?: string;
  /** Region used to verify V4 signatures and reported by {@link OssServer.region}; default `cn-hangzhou`. */
  region?: string;
  /** Accepted keys; default one pair `{ accessKeyId: 'test-ak', accessKeySecret: 'test-sk' }`. */
  credentials?: readonly ServerCredential[];
  /** Buckets created at start (existing ones are kept). */
  buckets?: readonly string[];
  /** Skip signature checks. For quick experiments only; every request is then accepted as is. */
  anonymous?: boolean;
  /**
   * `'disk'` (default) stores bytes under `root`. `'discard'` only counts bytes and computes MD5/CRC64: metadata
   * (size, ETag, CRC64, append position, parts) is kept in memory so HEAD, append chains, multipart and listings
   * work, but GetObject answers 404 NoSuchKey because no byte was kept. For benchmarks.
   */
  storage?: StorageMode;
  /** Service limits; shrink them in tests (e.g. `{ maxPutSize: 1024 * 1024, minPartSize: 1024 }`). */
  limits?: Partial<OssLimits>;
  /** Callback request timeout; default 5000 ms as OSS. */
  callbackTimeoutMs?: number;
  /**
   * Benchmark mode, not OSS-faithful: bodies are not MD5-hashed (unless the request sends `Content-MD5`, which is
   * still checked), so the server is not what limits a fast client. CRC-64 is still computed and returned, so
   * clients keep verifying every byte; but PutObject and UploadPart ETags are derived from the CRC-64 and size
   * instead of being the content's MD5, and no `Content-MD5` header is returned. Default `false`.
   */
  skipMd5?: boolean;
}

/** {@link ServerOptions} with every default applied. */
export interface ResolvedServerOptions {
  readonly port: number;
  readonly host: string;
  readonly root: string;
  readonly region: string;
  readonly credentials: readonly ServerCredential[];
  readonly buckets: readonly string[];
  readonly anonymous: boolean;
  readonly storage: StorageMode;
  readonly limits: OssLimits;
  readonly callbackTimeoutMs: number;
  readonly skipMd5: boolean;
}

/** The credential used when none is configured. */
export const DEFAULT_SERVER_CREDENTIAL: Readonly<ServerCredential> = Object.freeze({
  accessKeyId: 'test-ak',
  accessKeySecret: 'test-sk',
});

/** Applies defaults; creates the temp root when none is given. */
export async function resolveServerOptions(opts: ServerOptions = {}): Promise<ResolvedServerOptions> {
  const storage = opts.storage ?? 'disk';
  if (storage !== 'disk' && storage !== 'discard')
    throw new TypeError(`storage must be 'disk' or 'discard', got ${String(storage)}`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`port must be an integer 0..65535, got ${String(port)}`);
  const credentials = opts.credentials ?? [DEFAULT_SERVER_CREDENTIAL];
  for (const c of credentials) {
    if (
      typeof c.accessKeyId !== 'string' ||
      c.accessKeyId === '' ||
      typeof c.accessKeySecret !== 'string' ||
      c.accessKeySecret === ''
    ) {
      throw new TypeError('each credential needs a non-empty accessKeyId and accessKeySecret');
    }
  }
  for (const b of opts.buckets ?? []) {
    if (!isValidBucketName(b)) throw new TypeError(invalidBucketNameMessage(b));
  }
  const root = opts.root === undefined ? await mkdtemp(join(tmpdir(), 'oss-stream-server-')) : resolve(opts.root);
  return Object.freeze({
    port,
    host: opts.host ?? '127.0.0.1',
    root,
    region: (opts.region ?? 'cn-hangzhou').replace(/^oss-/, ''),
    credentials: Object.freeze(credentials.map((c) => Object.freeze({ ...c }))),
    buckets: Object.freeze([...(opts.buckets ?? [])]),
    anonymous: opts.anonymous ?? false,
    storage,
    limits: resolveLimits(opts.limits),
    callbackTimeoutMs: opts.callbackTimeoutMs ?? 5000,
    skipMd5: opts.skipMd5 ?? false,
  });
}
