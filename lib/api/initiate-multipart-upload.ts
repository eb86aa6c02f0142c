/** InitiateMultipartUpload: starts an upload whose parts come later. */
import type { OssContext } from './context.js';
import { resultOf, type OssResult } from './result.js';
import { uploadHeaders, type UploadHeaderOptions } from './upload-headers.js';
import { validateObjectKey } from '../core/validate.js';
import { parseInitiateMultipartUploadResult } from '../core/xml.js';

/** Options of {@link initiateMultipartUpload}. */
export interface InitiateMultipartUploadOptions {
  /** Object headers (Content-Type, Cache-Control, `x-oss-meta-*`, storage class…), stored at Complete. */
  headers?: Record<string, string> | undefined;
  /** Object tags (`x-oss-tagging`), at most 10; see {@link UploadHeaderOptions.tags}. */
  tags?: Record<string, string> | undefined;
  /** User metadata, sent as `x-oss-meta-*`. */
  meta?: Record<string, string> | undefined;
  /** Name to guess the Content-Type from (default: the key). */
  contentTypeFrom?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The new upload. */
export interface InitiateMultipartUploadResult extends OssResult {
  uploadId: string;
}

/** Starts a multipart upload of `key`. See {@link Bucket.initMultipartUpload}. */
export async function initiateMultipartUpload(
  ctx: OssContext,
  key: string,
  opts: InitiateMultipartUploadOptions = {},
): Promise<InitiateMultipartUploadResult> {
  validateObjectKey(key, ctx.options.limits);
  const own: UploadHeaderOptions = { headers: opts.headers, tags: opts.tags, meta: opts.meta };
  const headers = uploadHeaders(own, opts.contentTypeFrom ?? key);
  const res = await ctx.send({
    operation: 'InitiateMultipartUpload',
    method: 'POST',
    key,
    query: { uploads: null },
    headers,
    signal: opts.signal,
  });
  const parsed = parseInitiateMultipartUploadResult(await res.text());
  return resultOf(res, { uploadId: parsed.uploadId });
}
