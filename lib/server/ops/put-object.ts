/**
 * PutObject: `PUT /<key>` with a Content-Length or chunked body, streamed to a staged blob while hashed, then
 * committed (last commit wins; an appendable object becomes Normal).
 */
import { callbackResult, parseCallback } from '../callback.js';
import {
  checkDeclared,
  checkMd5,
  declaredLength,
  expectedMd5,
  fileAlreadyExists,
  forbidsOverwrite,
  receive,
  registry,
  requireBucket,
  requireKey,
  type OpContext,
} from '../context.js';
import { bodyEtag } from '../etag.js';
import { metaFromHeaders, objectRecord, sseHeaders } from '../object-record.js';
import type { Reply } from '../respond.js';

/** Handles PutObject. */
export async function putObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const meta = metaFromHeaders(ctx.headers);
  const callback = parseCallback(ctx);
  const md5 = expectedMd5(ctx);
  const max = ctx.core.options.limits.maxPutSize;
  checkDeclared(declaredLength(ctx), max);
  const forbid = forbidsOverwrite(ctx);
  if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();

  const store = ctx.core.store;
  const staged = store.createBlob();
  let committed = false;
  try {
    const digest = await receive(ctx, staged.stream, max);
    checkMd5(md5, digest);
    const rec = objectRecord(meta, {
      key,
      type: 'Normal',
      size: digest.size,
      crc64: digest.crc64,
      etag: bodyEtag(digest),
      ...(digest.md5 === undefined ? {} : { contentMd5: digest.md5.toString('base64') }),
      lastModified: Date.now(),
      segments: digest.size === 0 ? [] : [{ blob: staged.blob, size: digest.size }],
    });
    await registry(ctx).withKey(bucket.name, key, async () => {
      if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();
      await registry(ctx).commitLocked(bucket, rec);
    });
    committed = digest.size > 0;
    const headers = {
      etag: `"${rec.etag}"`,
      ...(rec.contentMd5 === undefined ? {} : { 'content-md5': rec.contentMd5 }),
      'x-oss-hash-crc64ecma': rec.crc64,
      ...sseHeaders(rec.sse),
    };
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
