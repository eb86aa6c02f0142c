/**
 * AppendObject: `POST /<key>?append&position=<n>`. Appends to one key are serialized (the key's lock is held for
 * the whole request) and atomic: a failed append leaves the object as it was.
 */
import { crc64Combine } from '../../core/crc64.js';
import {
  checkDeclared,
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
import { appendableEtag } from '../etag.js';
import { invalidArgument, metaFromHeaders, objectRecord, sseHeaders } from '../object-record.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';

/** The `position` an append starts at; 400 InvalidArgument unless a non-negative integer. */
function positionOf(query: Record<string, string | null>): number {
  const raw = query['position'];
  if (raw === undefined || raw === null || !/^\d+$/.test(raw)) {
    throw invalidArgument(
      'position',
      raw ?? '',
      'The position parameter is required and must be a non-negative integer.',
    );
  }
  return Number(raw);
}

/** Handles AppendObject. */
export async function appendObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const position = positionOf(ctx.query);
  const md5 = expectedMd5(ctx);
  const declared = declaredLength(ctx);
  const max = ctx.core.options.limits.maxPutSize;
  const forbid = forbidsOverwrite(ctx);
  const store = ctx.core.store;

  return registry(ctx).withKey(bucket.name, key, async () => {
    const old = bucket.objects.get(key);
    if (old !== undefined && old.type !== 'Appendable') {
      throw new ServerError(409, 'ObjectNotAppendable', 'The object is not appendable.');
    }
    // Creation headers (metadata, tags, Content-Type, ACL, storage class) count only on the append that creates the
    // object: OSS neither applies nor validates them on later appends.
    const meta = old ?? metaFromHeaders(ctx.headers);
    const length = old?.size ?? 0;
    if (position !== length) {
      throw new ServerError(
        409,
        'PositionNotEqualToLength',
        'Position is not equal to file length',
        {},
        {
          'x-oss-next-append-position': String(length),
        },
      );
    }
    if (forbid && old !== undefined) throw fileAlreadyExists();
    checkDeclared(declared === undefined ? undefined : length + declared, max);

    const inPlace = old !== undefined && old.segments.length > 0 ? old.segments[0]!.blob : undefined;
    const staged = inPlace === undefined ? store.createBlob() : undefined;
    const dest = staged?.stream ?? store.appendBlob(inPlace as string, length);
    let committed = false;
    try {
      const digest = await receive(ctx, dest, max - length, md5);
      const size = length + digest.size;
      const crc64 = crc64Combine(old?.crc64 ?? '0', digest.crc64, digest.size);
      const blob = inPlace ?? staged!.blob;
      const rec = objectRecord(meta, {
        key,
        type: 'Appendable',
        size,
        crc64,
        etag: appendableEtag(crc64, size),
        lastModified: Date.now(),
        segments: size === 0 ? [] : [{ blob, size }],
      });
      await registry(ctx).commitLocked(bucket, rec);
      committed = size > 0;
      return {
        status: 200,
        headers: {
          etag: `"${rec.etag}"`,
          'x-oss-next-append-position': String(size),
          'x-oss-hash-crc64ecma': crc64,
          ...sseHeaders(rec.sse),
        },
      };
    } finally {
      if (!committed) {
        if (staged !== undefined) await store.dropBlob(staged.blob);
        else if (inPlace !== undefined) await store.truncateBlob(inPlace, length).catch(() => undefined);
      }
    }
  });
}
