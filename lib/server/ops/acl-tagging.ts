/**
 * Object ACL and tags: GetObjectAcl, PutObjectAcl (`x-oss-object-acl` header), GetObjectTagging,
 * PutObjectTagging (a `<Tagging>` body replacing every tag) and DeleteObjectTagging.
 */
import { parseTaggingRequest } from '../request-xml.js';
import { readSmall, registry, requireBucket, requireKey, type OpContext } from '../context.js';
import { checkTags, invalidArgument, metaFromHeaders, type ObjectRecord } from '../object-record.js';
import type { Reply } from '../respond.js';
import { noSuchKey } from './get-object.js';

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function lookup(ctx: OpContext): ObjectRecord {
  const rec = requireBucket(ctx).objects.get(requireKey(ctx));
  if (rec === undefined) throw noSuchKey(ctx.key ?? '');
  return rec;
}

/** Handles GetObjectAcl. */
export async function getObjectAcl(ctx: OpContext): Promise<Reply> {
  const rec = lookup(ctx);
  const xml =
    `${XML_HEAD}<AccessControlPolicy>` +
    '<Owner><ID>oss-stream-local</ID><DisplayName>oss-stream-local</DisplayName></Owner>' +
    `<AccessControlList><Grant>${esc(rec.acl)}</Grant></AccessControlList></AccessControlPolicy>`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

/** Handles PutObjectAcl (`PUT /<key>?acl` with `x-oss-object-acl`). */
export async function putObjectAcl(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const acl = ctx.headers['x-oss-object-acl'];
  if (acl === undefined) throw invalidArgument('x-oss-object-acl', '', 'The x-oss-object-acl header is required.');
  metaFromHeaders({ 'x-oss-object-acl': acl });
  await registry(ctx).withKey(bucket.name, key, async () => {
    const rec = bucket.objects.get(key);
    if (rec === undefined) throw noSuchKey(key);
    await registry(ctx).commitLocked(bucket, { ...rec, acl });
  });
  return { status: 200, headers: {} };
}

/** Handles GetObjectTagging. */
export async function getObjectTagging(ctx: OpContext): Promise<Reply> {
  const rec = lookup(ctx);
  const tags = rec.tags.map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join('');
  const xml = `${XML_HEAD}<Tagging><TagSet>${tags}</TagSet></Tagging>`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

/** Handles DeleteObjectTagging → 204. */
export async function deleteObjectTagging(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  await registry(ctx).withKey(bucket.name, key, async () => {
    const rec = bucket.objects.get(key);
    if (rec === undefined) throw noSuchKey(key);
    await registry(ctx).commitLocked(bucket, { ...rec, tags: [] });
  });
  return { status: 204, headers: {} };
}

/** Handles PutObjectTagging: the body's tags replace the object's (at most 10; keys ≤ 128, values ≤ 256 chars). */
export async function putObjectTagging(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const tags = checkTags(parseTaggingRequest((await readSmall(ctx, 64 * 1024)).toString('utf8')));
  await registry(ctx).withKey(bucket.name, key, async () => {
    const rec = bucket.objects.get(key);
    if (rec === undefined) throw noSuchKey(key);
    await registry(ctx).commitLocked(bucket, { ...rec, tags });
  });
  return { status: 200, headers: {} };
}
