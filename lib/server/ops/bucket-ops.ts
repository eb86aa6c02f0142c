/**
 * Bucket-level operations: ListBuckets (`GET /`), PutBucket, DeleteBucket and GetBucket (ListObjects v1 with
 * prefix, marker, delimiter, max-keys ≤ 1000, default 100).
 */
import { buildListAllMyBucketsResult, buildListBucketResult, type BucketPaging } from '../../core/xml.js';
import { encodingType, intParam, readSmall, registry, requireBucket, strParam, type OpContext } from '../context.js';
import { listPage } from '../list-page.js';
import { compareKeys } from '../names.js';
import type { Reply } from '../respond.js';
import { xmlTime } from '../time-format.js';
import { ServerError } from '../server-error.js';

const XML = { 'content-type': 'application/xml' };

/**
 * Handles ListBuckets: buckets in name order after `marker`, starting with `prefix`, at most `max-keys` (1–1000,
 * default 100, as OSS). The paging fields are answered when the request pages or the list is cut, as OSS does; a
 * client that deletes "the buckets with prefix X" must never see the others.
 */
export async function listBuckets(ctx: OpContext): Promise<Reply> {
  const region = ctx.core.options.region;
  const prefix = strParam(ctx, 'prefix');
  const marker = strParam(ctx, 'marker');
  const maxKeys = intParam(ctx, 'max-keys', 100, 1, ctx.core.options.limits.maxListPage);
  const matching = registry(ctx)
    .list()
    .filter((b) => b.name.startsWith(prefix) && compareKeys(b.name, marker) > 0);
  const page = matching.slice(0, maxKeys);
  const truncated = matching.length > page.length;
  const paged = truncated || ['prefix', 'marker', 'max-keys'].some((name) => ctx.query[name] !== undefined);
  const paging: BucketPaging = { prefix, marker, maxKeys, isTruncated: truncated };
  if (truncated) paging.nextMarker = page[page.length - 1]!.name;
  const xml = buildListAllMyBucketsResult({
    ...(paged ? { paging } : {}),
    owner: { id: 'oss-stream-local', displayName: 'oss-stream-local' },
    buckets: page.map((b) => ({
      name: b.name,
      creationDate: xmlTime(b.created),
      location: `oss-${region}`,
      region,
      extranetEndpoint: ctx.host,
      intranetEndpoint: ctx.host,
      storageClass: 'Standard',
    })),
  });
  return { status: 200, headers: XML, body: xml };
}

/** Handles PutBucket (the optional configuration body is read and ignored). */
export async function putBucket(ctx: OpContext): Promise<Reply> {
  const name = ctx.bucketName ?? '';
  await readSmall(ctx, 64 * 1024);
  await registry(ctx).create(name);
  return { status: 200, headers: { location: `/${name}` } };
}

/** Handles DeleteBucket: 204, 409 BucketNotEmpty while objects or uploads remain. */
export async function deleteBucket(ctx: OpContext): Promise<Reply> {
  await registry(ctx).remove(ctx.bucketName ?? '');
  return { status: 204, headers: {} };
}

/** Handles GetBucket (ListObjects). */
export async function getBucket(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const maxKeys = intParam(ctx, 'max-keys', 100, 0, ctx.core.options.limits.maxListPage);
  const prefix = strParam(ctx, 'prefix');
  const delimiter = strParam(ctx, 'delimiter');
  const marker = strParam(ctx, 'marker');
  if (Buffer.byteLength(prefix) > 1023 || Buffer.byteLength(marker) > 1023) {
    throw new ServerError(400, 'InvalidArgument', 'The prefix and marker must be at most 1023 bytes long.');
  }
  const page = listPage<string>(bucket.sortedKeys(), { keyOf: (k) => k, prefix, delimiter, max: maxKeys, marker });
  const xml = buildListBucketResult({
    name: bucket.name,
    prefix,
    marker,
    maxKeys,
    delimiter,
    isTruncated: page.truncated,
    ...(page.truncated && page.lastKey !== undefined ? { nextMarker: page.lastKey } : {}),
    contents: page.items.map((key) => {
      const rec = bucket.objects.get(key)!;
      return {
        key,
        lastModified: xmlTime(rec.lastModified),
        etag: `"${rec.etag}"`,
        type: rec.type,
        size: rec.size,
        storageClass: rec.storageClass,
      };
    }),
    commonPrefixes: page.commonPrefixes,
    ...(enc === undefined ? {} : { encodingType: enc }),
  });
  return { status: 200, headers: XML, body: xml };
}
