/**
 * ListMultipartUploads: `GET /?uploads[&prefix][&delimiter][&key-marker][&upload-id-marker][&max-uploads]`.
 * Uploads are ordered by key then by creation; with both markers, uploads of `key-marker` created after
 * `upload-id-marker` come first.
 */
import { buildListMultipartUploadsResult } from '../../core/xml.js';
import { encodingType, intParam, requireBucket, strParam, type OpContext } from '../context.js';
import { listPage } from '../list-page.js';
import type { UploadRecord } from '../multipart-store.js';
import type { Reply } from '../respond.js';
import { xmlTime } from '../time-format.js';

/** Handles ListMultipartUploads. */
export async function listMultipartUploads(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const maxPage = ctx.core.options.limits.maxListPage;
  const max = intParam(ctx, 'max-uploads', maxPage, 1, maxPage);
  const prefix = strParam(ctx, 'prefix');
  const delimiter = strParam(ctx, 'delimiter');
  const keyMarker = strParam(ctx, 'key-marker');
  const idMarker = keyMarker === '' ? '' : strParam(ctx, 'upload-id-marker');
  const page = listPage<UploadRecord>(bucket.uploads.sorted(), {
    keyOf: (u) => u.key,
    prefix,
    delimiter,
    max,
    marker: keyMarker,
    includeAtMarker: idMarker === '' ? undefined : (u) => u.id > idMarker,
  });
  const lastUpload = page.items[page.items.length - 1];
  const lastIsUpload =
    lastUpload !== undefined && page.lastKey === lastUpload.key && !page.commonPrefixes.includes(page.lastKey);
  const xml = buildListMultipartUploadsResult({
    bucket: bucket.name,
    keyMarker,
    uploadIdMarker: idMarker,
    nextKeyMarker: page.truncated ? (page.lastKey ?? '') : '',
    nextUploadIdMarker: page.truncated && lastIsUpload ? lastUpload.id : '',
    delimiter,
    prefix,
    maxUploads: max,
    isTruncated: page.truncated,
    uploads: page.items.map((u) => ({
      key: u.key,
      uploadId: u.id,
      storageClass: u.meta.storageClass,
      initiated: xmlTime(u.initiated),
    })),
    commonPrefixes: page.commonPrefixes,
    ...(enc === undefined ? {} : { encodingType: enc }),
  });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}
