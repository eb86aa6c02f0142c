/** AbortMultipartUpload: `DELETE /<key>?uploadId=<id>` → 204; the parts are deleted; NoSuchUpload afterwards. */
import { requireBucket, requireKey, type OpContext } from '../context.js';
import type { Reply } from '../respond.js';

/** Handles AbortMultipartUpload. */
export async function abortMultipartUpload(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  bucket.uploads.remove(up);
  for (const p of up.parts.values()) await ctx.core.store.dropBlob(p.blob);
  return { status: 204, headers: {} };
}
