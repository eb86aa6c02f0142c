/**
 * AbortMultipartUpload: `DELETE /<key>?uploadId=<id>` → 204; the parts are deleted; NoSuchUpload afterwards. The
 * persisted upload goes before its blobs: a crash in between leaves unreferenced blobs, removed at the next start.
 */
import { requireBucket, requireKey, type OpContext } from '../context.js';
import type { Reply } from '../respond.js';

/** Handles AbortMultipartUpload. */
export async function abortMultipartUpload(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  await bucket.uploads.take(up, () => undefined);
  try {
    await bucket.uploads.forget(up);
  } catch (err) {
    bucket.uploads.restore(up);
    throw err;
  }
  for (const p of up.parts.values()) await ctx.core.store.dropBlob(p.blob);
  return { status: 204, headers: {} };
}
