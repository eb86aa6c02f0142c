/**
 * ListParts: `GET /<key>?uploadId=<id>[&max-parts][&part-number-marker]`, paginated, ≤ 1000 per page; parts being
 * committed when the request arrives are waited for.
 */
import { buildListPartsResult } from '../../core/xml.js';
import { encodingType, intParam, requireBucket, requireKey, type OpContext } from '../context.js';
import { noSuchUpload } from '../multipart-store.js';
import type { Reply } from '../respond.js';
import { xmlTime } from '../time-format.js';

/** Handles ListParts. */
export async function listParts(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  const enc = encodingType(ctx);
  // A part whose body already arrived is listed, even if its commit (fsync) is still under way.
  await bucket.uploads.settled(up);
  if (!bucket.uploads.isLive(up)) throw noSuchUpload(up.id);
  const maxPage = ctx.core.options.limits.maxListPage;
  const maxParts = intParam(ctx, 'max-parts', maxPage, 1, maxPage);
  const marker = intParam(ctx, 'part-number-marker', 0, 0, Number.MAX_SAFE_INTEGER);
  const after = [...up.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  const xml = buildListPartsResult({
    bucket: bucket.name,
    key,
    uploadId: up.id,
    storageClass: up.meta.storageClass,
    partNumberMarker: marker,
    nextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.number : marker,
    maxParts,
    isTruncated: truncated,
    parts: page.map((p) => ({
      partNumber: p.number,
      lastModified: xmlTime(p.lastModified),
      etag: `"${p.etag}"`,
      hashCrc64ecma: p.crc64,
      size: p.size,
    })),
    ...(enc === undefined ? {} : { encodingType: enc }),
  });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}
