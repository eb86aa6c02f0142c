/**
 * PutSymlink (`PUT /<key>?symlink` with `x-oss-symlink-target`, URL-encoded, a key of the same bucket) and
 * GetSymlink (`GET /<key>?symlink`, the target in `x-oss-symlink-target`). The target need not exist when the link
 * is made; GET and HEAD of the link follow it (see `followSymlink` in get-object.ts).
 */
import { createHash } from 'node:crypto';
import { commitObject, forbidsOverwrite, requireBucket, requireKey, type OpContext } from '../context.js';
import { md5Etag } from '../etag.js';
import { checkObjectKey } from '../names.js';
import { invalidArgument, metaFromHeaders, objectRecord } from '../object-record.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';
import { noSuchKey } from './get-object.js';

/** Handles PutSymlink. */
export async function putSymlink(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const raw = ctx.headers['x-oss-symlink-target'];
  if (raw === undefined || raw === '') {
    throw invalidArgument('x-oss-symlink-target', raw ?? '', 'The x-oss-symlink-target header is required.');
  }
  let target: string;
  try {
    target = decodeURIComponent(raw);
  } catch {
    throw invalidArgument('x-oss-symlink-target', raw, 'The x-oss-symlink-target header is not URL-encoded correctly.');
  }
  checkObjectKey(target, ctx.core.options.limits.maxKeyBytes);
  const meta = metaFromHeaders(ctx.headers);
  const forbid = forbidsOverwrite(ctx);
  const rec = objectRecord(meta, {
    key,
    type: 'Symlink',
    size: 0,
    crc64: '0',
    // A link has no content of its own; its ETag names what it points to.
    etag: md5Etag(createHash('md5').update(target, 'utf8').digest()),
    lastModified: Date.now(),
    segments: [],
    symlinkTarget: target,
  });
  await commitObject(ctx, bucket, rec, forbid);
  return { status: 200, headers: { etag: `"${rec.etag}"` } };
}

/** Handles GetSymlink: 404 NoSuchKey for a missing key, 400 NotSymlink for an object that is not a link. */
export async function getSymlink(ctx: OpContext): Promise<Reply> {
  const key = requireKey(ctx);
  const rec = requireBucket(ctx).objects.get(key);
  if (rec === undefined) throw noSuchKey(key);
  if (rec.type !== 'Symlink' || rec.symlinkTarget === undefined) {
    const extra = { Key: key, EC: '0043-00000101' };
    throw new ServerError(400, 'NotSymlink', 'The specified object is not a symlink.', extra);
  }
  const headers: Record<string, string> = {
    'x-oss-symlink-target': encodeURIComponent(rec.symlinkTarget),
    etag: `"${rec.etag}"`,
    'last-modified': new Date(rec.lastModified).toUTCString(),
  };
  for (const [k, v] of Object.entries(rec.userMeta)) headers[k] = v;
  return { status: 200, headers };
}
