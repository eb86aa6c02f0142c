/**
 * UploadPart: `PUT /<key>?partNumber=<n>&uploadId=<id>`. Re-uploading a number replaces that part. Sizes are only
 * checked against the minimum at Complete, as OSS does; the maximum part size is checked here. The part is
 * committed (durable on disk storage) before the answer, so an answered part survives a crash of the server.
 */
import {
  checkDeclared,
  checkMd5,
  declaredLength,
  expectedMd5,
  receive,
  requireBucket,
  requireKey,
  type OpContext,
} from '../context.js';
import { bodyEtag } from '../etag.js';
import { noSuchUpload, type PartRecord } from '../multipart-store.js';
import { invalidArgument } from '../object-record.js';
import type { Reply } from '../respond.js';

/** The part number of an UploadPart request; 400 InvalidArgument unless 1..maxParts. */
export function partNumberOf(query: Record<string, string | null>, maxParts: number): number {
  const raw = query['partNumber'] ?? '';
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > maxParts) {
    throw invalidArgument('partNumber', raw, `Part number must be an integer between 1 and ${maxParts}, inclusive.`);
  }
  return Number(raw);
}

/** Handles UploadPart. */
export async function uploadPart(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const limits = ctx.core.options.limits;
  const number = partNumberOf(ctx.query, limits.maxParts);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  const md5 = expectedMd5(ctx);
  checkDeclared(declaredLength(ctx), limits.maxPartSize);

  const store = ctx.core.store;
  const staged = store.createBlob();
  let kept = false;
  try {
    const digest = await receive(ctx, staged.stream, limits.maxPartSize);
    checkMd5(md5, digest);
    // Complete or Abort may have finished the upload while this body was arriving (addPart checks again, locked).
    if (!bucket.uploads.isLive(up)) throw noSuchUpload(up.id);
    const part: PartRecord = {
      number,
      blob: staged.blob,
      size: digest.size,
      etag: bodyEtag(digest),
      crc64: digest.crc64,
      lastModified: Date.now(),
    };
    await bucket.uploads.addPart(up, part);
    kept = true;
    return {
      status: 200,
      headers: {
        etag: `"${part.etag}"`,
        ...(digest.md5 === undefined ? {} : { 'content-md5': digest.md5.toString('base64') }),
        'x-oss-hash-crc64ecma': part.crc64,
      },
    };
  } finally {
    if (!kept) await store.dropBlob(staged.blob);
  }
}
