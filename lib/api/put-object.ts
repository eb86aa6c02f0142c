/** PutObject: one request whose body is the whole object (≤ 5 GiB). */
import type { OssContext } from './context.js';
import { prepareBody, type UploadData } from './body.js';
import { callbackAnswer } from './callback-result.js';
import { UploadProgress, type ProgressCallback } from '../core/progress.js';
import { resultOf, etagOf, verifyCrc64, type OssResult } from './result.js';
import { uploadHeaders, type UploadHeaderOptions } from './upload-headers.js';
import { validateObjectKey } from '../core/validate.js';

/** Options of {@link putObject}. */
export interface PutObjectOptions extends UploadHeaderOptions {
  /** `(consumed, total | null)` as bytes reach the socket; `total` is `null` for unknown-length streams. */
  onProgress?: ProgressCallback | undefined;
  /** Cancels the upload; nothing is stored. */
  signal?: AbortSignal | undefined;
  /** Length of a stream or iterable body: sent as Content-Length (else chunked) and enforced. */
  contentLength?: number | undefined;
  /** Name to guess the Content-Type from (default: the key). */
  contentTypeFrom?: string | undefined;
}

/** What a successful put returns. */
export interface PutObjectResult extends OssResult {
  /** Quoted ETag as OSS sends it. */
  etag: string;
  /** CRC64 of the object, decimal, verified against the bytes sent. */
  crc64: string;
  /** Bytes stored. */
  size: number;
  versionId?: string | undefined;
  /** The callback server's answer, when a callback was requested. */
  callbackBody?: string | undefined;
}

/** Uploads `data` as `key` with one PutObject. See {@link Bucket.putObject}. */
export async function putObject(
  ctx: OssContext,
  key: string,
  data: UploadData,
  opts: PutObjectOptions = {},
): Promise<PutObjectResult> {
  validateObjectKey(key, ctx.options.limits);
  const headers = uploadHeaders(opts, opts.contentTypeFrom ?? key);
  const body = await prepareBody(data, { contentLength: opts.contentLength, maxLength: ctx.options.limits.maxPutSize });
  if (body.length !== null) headers['content-length'] = String(body.length);
  const progress = new UploadProgress(opts.onProgress, body.length);
  let res;
  try {
    res = await ctx.send({
      operation: 'PutObject',
      method: 'PUT',
      key,
      headers,
      body: body.body,
      signal: opts.signal,
      onBodyChunk: (c, a) => body.observe(c, a),
      onBodyProgress: opts.onProgress === undefined ? undefined : (n) => progress.sent(n),
    });
  } catch (err) {
    body.discard();
    throw err;
  }
  const withCallback = headers['x-oss-callback'] !== undefined;
  // Read the answer before judging it, so the connection goes back to the pool whatever the verdict.
  const text = withCallback ? await res.text() : (await res.dump(), '');
  const result: PutObjectResult = resultOf(res, {
    etag: etagOf(res),
    crc64: res.headers['x-oss-hash-crc64ecma'] ?? body.crc64(),
    size: body.sent(),
    versionId: res.headers['x-oss-version-id'],
  });
  verifyCrc64(body.crc64(), res, `PutObject ${key}`);
  // Stored, even when the callback failed: the progress says so before a callback error is thrown.
  progress.complete(result.size);
  if (withCallback) result.callbackBody = callbackAnswer(res, text, result, 'PutObject');
  return result;
}
