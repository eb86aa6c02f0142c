/** Spec helpers: a fresh local OSS server per suite and a client for it. */
import { Auth, Bucket, type ClientOptions } from 'oss-stream';
import { OssServer, type ServerOptions } from 'oss-stream/server';

export const AK = 'spec-ak';
export const SK = 'spec-sk-secret';
export const BUCKET = 'spec-bucket';

/** Starts a server with one bucket and real credentials. */
export function startServer(opts: ServerOptions = {}): Promise<OssServer> {
  return OssServer.start({ credentials: [{ accessKeyId: AK, accessKeySecret: SK }], buckets: [BUCKET], ...opts });
}

/** A client for `server` (fast retries for specs). */
export function clientFor(server: { endpoint: string }, opts: ClientOptions = {}): Bucket {
  return new Bucket(new Auth(AK, SK), server.endpoint, BUCKET, { retryBaseDelayMs: 1, retryMaxDelayMs: 20, ...opts });
}

/** Deterministic bytes: buf[i] = (i * 7 + seed) & 0xff. */
export function pattern(n: number, seed = 3): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/** Splits `data` into chunks of the given sizes (cycling), as views. */
export function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (let off = 0; off < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}
