/**
 * UploadPart: `PUT /<key>?partNumber=<n>&uploadId=<id>`. Re-uploading a number replaces that part. Sizes are only
 * checked against the minimum at Complete, as OSS does; the maximum part size is checked here. The part is
 * committed (durable on disk storage) before the answer, so an answered part survives a crash of the server.
 */
import type { BodyDigest } from '../body-receiver.js';
import type { BucketState } from '../bucket-registry.js';
import { checkBodyHeaders, receive, requireBucket, requireKey, type OpContext } from '../context.js';
import { bodyEtag } from '../etag.js';
import { noSuchUpload, type PartRecord, type UploadRecord } from '../multipart-store.js';
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

/** The upload and part number an UploadPart or UploadPartCopy names (400 InvalidArgument, 404 NoSuchUpload). */
export function targetPart(ctx: OpContext): { bucket: BucketState; up: UploadRecord; number: number } {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const number = partNumberOf(ctx.query, ctx.core.options.limits.maxParts);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  return { bucket, up, number };
}

/**
 * Adds part `number` of `up`, its bytes in `blob` as `digest` describes them; 404 NoSuchUpload when Complete or
 * Abort finished the upload while they arrived (addPart checks again, locked).
 */
export async function commitPart(
  bucket: BucketState,
  up: UploadRecord,
  number: number,
  blob: string,
  digest: BodyDigest,
): Promise<PartRecord> {
  if (!bucket.uploads.isLive(up)) throw noSuchUpload(up.id);
  const part: PartRecord = {
    number,
    blob,
    size: digest.size,
    etag: bodyEtag(digest),
    crc64: digest.crc64,
    lastModified: Date.now(),
  };
  await bucket.uploads.addPart(up, part);
  return part;
}

/** Handles UploadPart. */
export async function uploadPart(ctx: OpContext): Promise<Reply> {
  const { bucket, up, number } = targetPart(ctx);
  const limits = ctx.core.options.limits;
  const md5 = checkBodyHeaders(ctx, limits.maxPartSize);

  const store = ctx.core.store;
  const staged = store.createBlob();
  let kept = false;
  try {
    const digest = await receive(ctx, staged.stream, limits.maxPartSize, md5);
    const part = await commitPart(bucket, up, number, staged.blob, digest);
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
