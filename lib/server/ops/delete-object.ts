/** DeleteObject: `DELETE /<key>` → 204, also when the key does not exist (as OSS). */
import { registry, requireBucket, requireKey, type OpContext } from '../context.js';
import type { Reply } from '../respond.js';

/** Handles DeleteObject. */
export async function deleteObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  await registry(ctx).withKey(bucket.name, key, () => registry(ctx).deleteLocked(bucket, key));
  return { status: 204, headers: {} };
}
