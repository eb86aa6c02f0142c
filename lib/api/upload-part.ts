/** UploadPart: one part (1..10,000) of a multipart upload; re-uploading a number replaces it. */
import type { OssContext } from './context.js';
import { prepareBody, type UploadData } from './body.js';
import { UploadProgress, type ProgressCallback } from '../core/progress.js';
import { resultOf, etagOf, verifyCrc64, type OssResult } from './result.js';
import { validateObjectKey, validatePartNumber } from '../core/validate.js';
import { OssArgumentError } from '../errors.js';

/** Options of {@link uploadPart}. */
export interface UploadPartOptions {
  onProgress?: ProgressCallback | undefined;
  signal?: AbortSignal | undefined;
  /** Length of a stream body (else chunked). */
  contentLength?: number | undefined;
  /** Override the client's retries for this part. */
  retries?: number | undefined;
  /** Sees each failure of this part that is about to be retried (the throttling signal of `concurrency: 'auto'`). */
  onRetry?: ((failure: unknown) => void) | undefined;
  /** Observe each chunk as it is handed to the socket (used by sinks for aggregate progress). */
  onBodyProgress?: ((attemptBytes: number, attempt: number) => void) | undefined;
  /**
   * CRC64 (decimal) of `data` when the caller already computed it — bytes only, and they must not change while the
   * request runs. Saves hashing the part a second time; the server's CRC64 is still checked against it.
   */
  knownCrc64?: string | undefined;
}

/** A stored part: what Complete and the whole-object CRC need. */
export interface UploadPartResult extends OssResult {
  partNumber: number;
  /** Quoted ETag (MD5 of the part). */
  etag: string;
  /** CRC64 of the part, verified (decimal). */
  crc64: string;
  /** Bytes in the part. */
  size: number;
}

/** Uploads part `partNumber` of `uploadId`. See {@link Bucket.uploadPart}. */
export async function uploadPart(
  ctx: OssContext,
  key: string,
  uploadId: string,
  partNumber: number,
  data: UploadData,
  opts: UploadPartOptions = {},
): Promise<UploadPartResult> {
  validateObjectKey(key, ctx.options.limits);
  if (typeof uploadId !== 'string' || uploadId === '')
    throw new OssArgumentError('uploadId must be a non-empty string', 'uploadId');
  validatePartNumber(partNumber, ctx.options.limits);
  const body = await prepareBody(data, {
    contentLength: opts.contentLength,
    maxLength: ctx.options.limits.maxPartSize,
  });
  const known = opts.knownCrc64 !== undefined && data instanceof Uint8Array ? opts.knownCrc64 : undefined;
  const headers: Record<string, string> = {};
  if (body.length !== null) headers['content-length'] = String(body.length);
  const progress = new UploadProgress(opts.onProgress, body.length);
  let res;
  try {
    res = await ctx.send({
      operation: 'UploadPart',
      method: 'PUT',
      key,
      query: { partNumber: String(partNumber), uploadId },
      headers,
      body: body.body,
      signal: opts.signal,
      retries: opts.retries,
      onRetry: opts.onRetry,
      onBodyChunk: known === undefined ? (c, a) => body.observe(c, a) : undefined,
      onBodyProgress:
        opts.onProgress === undefined && opts.onBodyProgress === undefined
          ? undefined
          : (n, a) => {
              progress.sent(n);
              opts.onBodyProgress?.(n, a);
            },
    });
  } catch (err) {
    body.discard();
    throw err;
  }
  await res.dump();
  const crc64 = known ?? body.crc64();
  const size = known === undefined ? body.sent() : (data as Uint8Array).byteLength;
  verifyCrc64(crc64, res, `UploadPart ${key} #${partNumber}`);
  progress.complete(size);
  return resultOf(res, { partNumber, etag: etagOf(res), crc64, size });
}
