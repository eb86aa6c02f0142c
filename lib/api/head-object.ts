/** HeadObject: an object's metadata without its body. */
import type { OssContext } from './context.js';
import { resultOf, etagOf, type OssResult } from './result.js';
import { validateObjectKey } from '../core/validate.js';

/** An object's metadata. */
export interface HeadObjectResult extends OssResult {
  size: number;
  etag: string;
  contentType: string | undefined;
  lastModified: string | undefined;
  /** `Normal`, `Appendable`, `Multipart` or `Symlink`. */
  objectType: string | undefined;
  /** Where the next append goes (Appendable objects). */
  nextAppendPosition: number | undefined;
  /** CRC64 of the whole object (decimal). */
  crc64: string | undefined;
  /** `x-oss-meta-*` values, by name without the prefix. */
  meta: Record<string, string>;
  versionId?: string | undefined;
}

/** Reads `key`'s metadata; a missing object rejects with `NoSuchKey` (from the `x-oss-err` header). */
export async function headObject(
  ctx: OssContext,
  key: string,
  opts: { signal?: AbortSignal | undefined; retries?: number | undefined } = {},
): Promise<HeadObjectResult> {
  validateObjectKey(key, ctx.options.limits);
  const res = await ctx.send({
    operation: 'HeadObject',
    method: 'HEAD',
    key,
    signal: opts.signal,
    retries: opts.retries,
  });
  await res.dump();
  const h = res.headers;
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) if (name.startsWith('x-oss-meta-')) meta[name.slice(11)] = value;
  const next = h['x-oss-next-append-position'];
  return resultOf(res, {
    size: Number(h['content-length'] ?? 0),
    etag: etagOf(res),
    contentType: h['content-type'],
    lastModified: h['last-modified'],
    objectType: h['x-oss-object-type'],
    nextAppendPosition: next === undefined ? undefined : Number(next),
    crc64: h['x-oss-hash-crc64ecma'],
    meta,
    versionId: h['x-oss-version-id'],
  });
}
