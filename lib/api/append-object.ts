/** AppendObject: adds bytes at `position` of an Appendable object (log shipping); ≤ 5 GiB in all. */
import type { OssContext } from './context.js';
import { prepareBody, type UploadData } from './body.js';
import { UploadProgress, type ProgressCallback } from '../core/progress.js';
import { resultOf, etagOf, verifyCrc64, type OssResult } from './result.js';
import { uploadHeaders, type UploadHeaderOptions } from './upload-headers.js';
import { crc64Combine, crc64Equal } from '../core/crc64.js';
import { validateObjectKey } from '../core/validate.js';
import { OssArgumentError } from '../errors.js';

/** Options of {@link appendObject}. */
export interface AppendObjectOptions extends Omit<UploadHeaderOptions, 'callback' | 'callbackVar'> {
  /**
   * CRC64 of the object before this append (the previous append's `crc64`). When given, the whole-object CRC the
   * server reports is checked against the chain. At position 0 it defaults to `'0'` (the object is new), so a
   * first append is always checked.
   */
  initCrc?: string | undefined;
  onProgress?: ProgressCallback | undefined;
  signal?: AbortSignal | undefined;
  contentLength?: number | undefined;
  /**
   * Retries of an append are only safe when the position makes them idempotent: a retried append after a lost
   * answer fails with PositionNotEqualToLength. Default 0 (no automatic retry); the append stream handles it.
   */
  retries?: number | undefined;
}

/** What a successful append returns. */
export interface AppendObjectResult extends OssResult {
  etag: string;
  /** Where the next append goes: the object's new length, from `x-oss-next-append-position`. */
  nextPosition: number;
  /** CRC64 of the WHOLE object after this append (decimal). */
  crc64: string;
  /** Bytes appended by this call. */
  size: number;
  /** CRC64 of the bytes appended by this call. */
  appendedCrc64: string;
  versionId?: string | undefined;
}

/** Appends `data` at `position` of `key`. See {@link Bucket.appendObject}. */
export async function appendObject(
  ctx: OssContext,
  key: string,
  position: number,
  data: UploadData,
  opts: AppendObjectOptions = {},
): Promise<AppendObjectResult> {
  validateObjectKey(key, ctx.options.limits);
  const max = ctx.options.limits.maxPutSize;
  if (!Number.isSafeInteger(position) || position < 0 || position > max) {
    throw new OssArgumentError(`append position must be an integer from 0 to ${max}, got ${position}`, 'position');
  }
  if (opts.initCrc !== undefined && (typeof opts.initCrc !== 'string' || !crc64Equal(opts.initCrc, opts.initCrc))) {
    throw new OssArgumentError(
      `initCrc must be a decimal CRC64 string (the previous append's crc64), got ${String(opts.initCrc)}`,
      'initCrc',
    );
  }
  // Appending at 0 creates the object, so its whole-object CRC is the CRC of this append alone.
  const initCrc = opts.initCrc ?? (position === 0 ? '0' : undefined);
  const headers = uploadHeaders(opts, key);
  const body = await prepareBody(data, {
    contentLength: opts.contentLength,
    maxLength: max - position,
    tooLargeHint: `an appendable object holds at most ${max} bytes and this append starts at ${position}`,
  });
  if (body.length !== null) headers['content-length'] = String(body.length);
  const progress = new UploadProgress(opts.onProgress, body.length);
  let res;
  try {
    res = await ctx.send({
      operation: 'AppendObject',
      method: 'POST',
      key,
      query: { append: null, position: String(position) },
      headers,
      body: body.body,
      signal: opts.signal,
      retries: opts.retries ?? 0,
      onBodyChunk: (c, a) => body.observe(c, a),
      onBodyProgress: opts.onProgress === undefined ? undefined : (n) => progress.sent(n),
    });
  } catch (err) {
    body.discard();
    throw err;
  }
  await res.dump();
  const size = body.sent();
  const appendedCrc64 = body.crc64();
  const chained = initCrc === undefined ? undefined : crc64Combine(initCrc, appendedCrc64, size);
  if (chained !== undefined) verifyCrc64(chained, res, `AppendObject ${key} at ${position}`);
  const next = Number(res.headers['x-oss-next-append-position']);
  progress.complete(size);
  return resultOf(res, {
    etag: etagOf(res),
    nextPosition: Number.isSafeInteger(next) ? next : position + size,
    crc64: res.headers['x-oss-hash-crc64ecma'] ?? chained ?? '',
    size,
    appendedCrc64,
    versionId: res.headers['x-oss-version-id'],
  });
}
