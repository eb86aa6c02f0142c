/**
 * InitiateMultipartUpload: `POST /<key>?uploads`. The creation metadata (Content-Type, `x-oss-meta-*`, storage
 * class, tagging…) is captured now and applied at Complete; the upload is persisted before its id is answered.
 */
import { buildInitiateMultipartUploadResult } from '../../core/xml.js';
import { checkOverwrite, encodingType, requireBucket, requireKey, type OpContext } from '../context.js';
import { metaFromHeaders, sseHeaders } from '../object-record.js';
import type { Reply } from '../respond.js';

/** Handles InitiateMultipartUpload. */
export async function initiateMultipartUpload(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const enc = encodingType(ctx);
  const meta = metaFromHeaders(ctx.headers);
  checkOverwrite(ctx, bucket, key);
  const up = await bucket.uploads.create(key, meta);
  const xml = buildInitiateMultipartUploadResult({
    bucket: bucket.name,
    key,
    uploadId: up.id,
    ...(enc === undefined ? {} : { encodingType: enc }),
  });
  return { status: 200, headers: { 'content-type': 'application/xml', ...sseHeaders(meta.sse) }, body: xml };
}
