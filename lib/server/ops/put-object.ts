/**
 * PutObject: `PUT /<key>` with a Content-Length or chunked body, streamed to a staged blob while hashed, then
 * committed (last commit wins; an appendable object becomes Normal).
 */
import { callbackResult, parseCallback } from '../callback.js';
import {
  checkBodyHeaders,
  checkOverwrite,
  commitObject,
  receive,
  requireBucket,
  requireKey,
  type OpContext,
} from '../context.js';
import { metaFromHeaders, receivedObject, sseHeaders, storedHeaders } from '../object-record.js';
import type { Reply } from '../respond.js';

/** Handles PutObject. */
export async function putObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const meta = metaFromHeaders(ctx.headers);
  const callback = parseCallback(ctx);
  const max = ctx.core.options.limits.maxPutSize;
  const md5 = checkBodyHeaders(ctx, max);
  const forbid = checkOverwrite(ctx, bucket, key);

  const store = ctx.core.store;
  const staged = store.createBlob();
  let committed = false;
  try {
    const digest = await receive(ctx, staged.stream, max, md5);
    const rec = receivedObject(meta, key, digest, staged.blob);
    await commitObject(ctx, bucket, rec, forbid);
    committed = digest.size > 0;
    const headers = { ...storedHeaders(rec), ...sseHeaders(rec.sse) };
    if (callback === undefined) return { status: 200, headers };
    return await callbackResult(
      callback,
      {
        bucket: bucket.name,
        object: key,
        etag: rec.etag,
        size: rec.size,
        mimeType: rec.contentType,
        crc64: rec.crc64,
        contentMd5: rec.contentMd5,
      },
      headers,
      ctx.core.options.callbackTimeoutMs,
    );
  } finally {
    if (!committed) await store.dropBlob(staged.blob);
  }
}
