/**
 * ListObjectsV2: `GET /?list-type=2[&prefix][&delimiter][&start-after][&continuation-token][&max-keys ≤ 1000,
 * default 100][&fetch-owner=true][&encoding-type=url]`. The continuation token is opaque to clients; here it is the
 * last key (or common prefix) of the previous page, base64url-encoded, and it takes precedence over start-after.
 */
import { buildListBucketResultV2 } from '../../core/xml.js';
import { encodingType, intParam, requireBucket, strParam, type OpContext } from '../context.js';
import { listPage } from '../list-page.js';
import { invalidArgument } from '../object-record.js';
import type { Reply } from '../respond.js';

const OWNER = { id: 'oss-stream-local', displayName: 'oss-stream-local' };

/** Handles ListObjectsV2. */
export async function listObjectsV2(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const listType = strParam(ctx, 'list-type');
  if (listType !== '2') throw invalidArgument('list-type', listType, 'The list-type parameter must be 2.');
  const enc = encodingType(ctx);
  const maxKeys = intParam(ctx, 'max-keys', 100, 0, ctx.core.options.limits.maxListPage);
  const prefix = strParam(ctx, 'prefix');
  const delimiter = strParam(ctx, 'delimiter');
  const startAfter = ctx.query['start-after'] ?? undefined;
  const token = ctx.query['continuation-token'] ?? undefined;
  const fetchOwner = strParam(ctx, 'fetch-owner').toLowerCase() === 'true';
  for (const [name, value] of [
    ['prefix', prefix],
    ['start-after', startAfter ?? ''],
  ] as const) {
    if (Buffer.byteLength(value) > 1023)
      throw invalidArgument(name, value, `The ${name} must be at most 1023 bytes long.`);
  }
  const marker = token !== undefined ? keyOfToken(token) : (startAfter ?? '');
  const page = listPage<string>(bucket.sortedKeys(), { keyOf: (k) => k, prefix, delimiter, max: maxKeys, marker });
  const xml = buildListBucketResultV2({
    name: bucket.name,
    prefix,
    startAfter,
    continuationToken: token,
    maxKeys,
    delimiter,
    encodingType: enc,
    isTruncated: page.truncated,
    nextContinuationToken: page.truncated && page.lastKey !== undefined ? tokenOfKey(page.lastKey) : undefined,
    contents: page.items.map((key) => {
      const rec = bucket.objects.get(key)!;
      return {
        key,
        lastModified: new Date(Math.floor(rec.lastModified / 1000) * 1000).toISOString(),
        etag: `"${rec.etag}"`,
        type: rec.type,
        size: rec.size,
        storageClass: rec.storageClass,
        owner: fetchOwner ? OWNER : undefined,
      };
    }),
    commonPrefixes: page.commonPrefixes,
  });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

function tokenOfKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The key a continuation token carries; 400 InvalidArgument for anything this server did not hand out. */
function keyOfToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || tokenOfKey(key) !== token) {
    throw invalidArgument('continuation-token', token, 'The continuation token provided is incorrect.');
  }
  return key;
}
