/** AbortMultipartUpload: drops an upload and its parts (so nothing is left billed). */
import type { OssContext } from './context.js';
import { baseResult, type OssResult } from './result.js';
import { validateObjectKey } from '../core/validate.js';
import { OssArgumentError, OssError } from '../errors.js';

/** Aborts `uploadId` of `key`. Rejects with `NoSuchUpload` when it is already gone. */
export async function abortMultipartUpload(
  ctx: OssContext,
  key: string,
  uploadId: string,
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<OssResult> {
  validateObjectKey(key, ctx.options.limits);
  if (typeof uploadId !== 'string' || uploadId === '')
    throw new OssArgumentError('uploadId must be a non-empty string', 'uploadId');
  const res = await ctx.send({
    operation: 'AbortMultipartUpload',
    method: 'DELETE',
    key,
    query: { uploadId },
    signal: opts.signal,
  });
  await res.dump();
  return baseResult(res);
}

/** Aborts an upload being given up on; one that is already gone (`NoSuchUpload`) is fine, other errors are not. */
export async function abortIfPresent(
  ctx: OssContext,
  key: string,
  uploadId: string,
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<void> {
  try {
    await abortMultipartUpload(ctx, key, uploadId, opts);
  } catch (err) {
    if (!(err instanceof OssError && err.code === 'NoSuchUpload')) throw err;
  }
}
