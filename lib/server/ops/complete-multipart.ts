/**
 * CompleteMultipartUpload: `POST /<key>?uploadId=<id>` with the XML part list (ascending, existing parts, matching
 * ETags, every part but the last at least `minPartSize`), or `x-oss-complete-all: yes` with an empty body. The
 * object's bytes are the parts' blobs in order (no copy); its CRC-64 is combined from the parts' CRCs.
 */
import { crc64Combine } from '../../core/crc64.js';
import { buildCompleteMultipartUploadResult } from '../../core/xml.js';
import { parseCompleteMultipartUpload } from '../request-xml.js';
import { callbackResult, parseCallback } from '../callback.js';
import {
  commitObject,
  encodingType,
  fileAlreadyExists,
  forbidsOverwrite,
  objectLocation,
  readSmall,
  requireBucket,
  requireKey,
  type OpContext,
} from '../context.js';
import { multipartEtag, normalizeEtag } from '../etag.js';
import type { PartRecord, UploadRecord } from '../multipart-store.js';
import { metaFromHeaders, objectRecord, sseHeaders } from '../object-record.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';

const MAX_XML = 8 * 1024 * 1024;

/** Handles CompleteMultipartUpload. */
export async function completeMultipartUpload(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const up = bucket.uploads.get(ctx.query['uploadId'] ?? '', key);
  const enc = encodingType(ctx);
  const callback = parseCallback(ctx);
  const forbid = forbidsOverwrite(ctx);
  const acl = ctx.headers['x-oss-object-acl'];
  // Validates the ACL header the same way creation headers are validated.
  if (acl !== undefined) metaFromHeaders({ 'x-oss-object-acl': acl });
  const completeAll = (ctx.headers['x-oss-complete-all'] ?? '').toLowerCase() === 'yes';
  const body = await readSmall(ctx, MAX_XML);
  const limits = ctx.core.options.limits;

  // Taking the upload out makes concurrent UploadPart/Complete/Abort see NoSuchUpload; the parts are chosen and
  // checked while taking it, so no part can be replaced between the check and the commit.
  const { parts, size, crc } = await bucket.uploads.take(up, (u) => {
    const chosen = completeAll ? allParts(u, body) : listedParts(u, body.toString('utf8'));
    const total = checkSizes(chosen, limits.minPartSize, limits.maxObjectSize);
    if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();
    return { parts: chosen, ...total };
  });
  const rec = objectRecord(acl === undefined ? up.meta : { ...up.meta, acl }, {
    key,
    type: 'Multipart',
    size,
    crc64: crc,
    etag: multipartEtag(parts.map((p) => p.etag)),
    lastModified: Date.now(),
    segments: parts.filter((p) => p.size > 0).map((p) => ({ blob: p.blob, size: p.size })),
  });
  try {
    await commitObject(ctx, bucket, rec, forbid);
  } catch (err) {
    bucket.uploads.restore(up);
    throw err;
  }
  // The object is committed: the upload's persisted state goes, then the parts the object does not use. Leftover
  // state (a crash, a failed removal) is repaired at the next start, where the object references the upload's
  // parts; so a failure here must not turn a committed object into an error answer.
  await bucket.uploads.forget(up).catch(() => undefined);
  const used = new Set(rec.segments.map((s) => s.blob));
  for (const p of up.parts.values()) if (!used.has(p.blob)) await ctx.core.store.dropBlob(p.blob);

  const headers: Record<string, string> = {
    etag: `"${rec.etag}"`,
    'x-oss-hash-crc64ecma': rec.crc64,
    ...sseHeaders(rec.sse),
  };
  if (callback !== undefined) {
    return callbackResult(
      callback,
      { bucket: bucket.name, object: key, etag: rec.etag, size, mimeType: rec.contentType, crc64: rec.crc64 },
      headers,
      ctx.core.options.callbackTimeoutMs,
    );
  }
  const xml = buildCompleteMultipartUploadResult({
    location: objectLocation(ctx, bucket.name, key),
    bucket: bucket.name,
    key,
    etag: `"${rec.etag}"`,
    ...(enc === undefined ? {} : { encodingType: enc }),
  });
  return { status: 200, headers: { ...headers, 'content-type': 'application/xml' }, body: xml };
}

/** Size and combined CRC-64 of `parts`; 400 EntityTooSmall / EntityTooLarge per OSS's rules. */
function checkSizes(
  parts: readonly PartRecord[],
  minPartSize: number,
  maxObjectSize: number,
): { size: number; crc: string } {
  let size = 0;
  let crc = '0';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i < parts.length - 1 && p.size < minPartSize) {
      throw new ServerError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', {
        MinSizeAllowed: String(minPartSize),
        ProposedSize: String(p.size),
        PartNumber: String(p.number),
      });
    }
    size += p.size;
    crc = crc64Combine(crc, p.crc64, p.size);
  }
  if (size > maxObjectSize) {
    throw new ServerError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', {
      MaxSizeAllowed: String(maxObjectSize),
    });
  }
  return { size, crc };
}

function allParts(up: UploadRecord, body: Buffer): PartRecord[] {
  if (body.length > 0) {
    throw new ServerError(400, 'InvalidArgument', 'The body must be empty when x-oss-complete-all is yes.', {
      ArgumentName: 'x-oss-complete-all',
      ArgumentValue: 'yes',
    });
  }
  const parts = [...up.parts.values()].sort((a, b) => a.number - b.number);
  if (parts.length === 0) throw new ServerError(400, 'InvalidPart', 'The upload has no parts to complete.');
  return parts;
}

function listedParts(up: UploadRecord, xml: string): PartRecord[] {
  const listed = parseCompleteMultipartUpload(xml);
  if (listed.length === 0) {
    throw new ServerError(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema: no Part.',
    );
  }
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) {
      throw new ServerError(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts list must be specified in order by part number.',
      );
    }
  }
  return listed.map((l) => {
    const p = up.parts.get(l.partNumber);
    if (p === undefined || normalizeEtag(l.etag) !== p.etag) {
      throw new ServerError(
        400,
        'InvalidPart',
        'One or more of the specified parts could not be found or the specified entity tag ' +
          "might not have matched the part's entity tag.",
        {
          PartNumber: String(l.partNumber),
          ETag: l.etag,
        },
      );
    }
    return p;
  });
}
