/**
 * Server-side copies: CopyObject (`PUT /<key>` with `x-oss-copy-source`; also how users rename: copy, then delete)
 * and UploadPartCopy (the same header on UploadPart, with `x-oss-copy-source-range`). The copy owns its bytes: they
 * are written into a new blob while hashed, so overwriting or deleting the source never touches the copy. A copy
 * of an object onto itself only rewrites the metadata, as on OSS.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../core/crc64.js';
import { buildCopyObjectResult, buildCopyPartResult } from '../../core/xml.js';
import type { HashedDigest } from '../body-receiver.js';
import type { BucketState } from '../bucket-registry.js';
import {
  fileAlreadyExists,
  forbidsOverwrite,
  registry,
  requireBucket,
  requireKey,
  type OpContext,
} from '../context.js';
import { checkObjectKey } from '../names.js';
import {
  creationMeta,
  invalidArgument,
  metaFromHeaders,
  objectRecord,
  type ObjectMeta,
  type ObjectRecord,
  type Segment,
} from '../object-record.js';
import { decideRange, type ByteRange } from '../range.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';
import type { Store } from '../storage/store.js';
import { noSuchKey, readSegments } from './get-object.js';
import { commitPart, targetPart } from './upload-part.js';

/** Handles CopyObject. */
export async function copyObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const directive = directiveOf(ctx, 'x-oss-metadata-directive');
  const tagging = directiveOf(ctx, 'x-oss-tagging-directive');
  // Validates the request's creation headers (ACL, storage class, tags) whatever the directives say.
  const given = metaFromHeaders(ctx.headers);
  const forbid = forbidsOverwrite(ctx);
  const { bucket: srcBucket, rec: src } = copySource(ctx);
  const unchanged = sourceConditions(ctx, src);
  if (unchanged !== undefined) return unchanged;

  // COPY keeps the source's HTTP metadata; the ACL and the storage class are the request's (ACLs are not copied).
  const metaOf = (source: ObjectRecord): ObjectMeta => {
    const meta: ObjectMeta = directive === 'REPLACE' ? { ...given } : { ...creationMeta(source), acl: given.acl };
    if (directive !== 'REPLACE') meta.storageClass = ctx.headers['x-oss-storage-class'] ?? source.storageClass;
    meta.tags = tagging === 'REPLACE' ? given.tags : source.tags;
    return meta;
  };
  const store = ctx.core.store;
  const self = srcBucket === bucket && src.key === key;
  const copied = self || !store.keepsBytes ? undefined : await copyRange(store, src, { start: 0, end: src.size - 1 });
  let rec: ObjectRecord | undefined;
  let committed = false;
  try {
    await registry(ctx).withKey(bucket.name, key, async () => {
      if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();
      // Onto itself: the same bytes under new metadata (the commit keeps the blobs both versions share), taken from
      // the version current under the lock, since a put meanwhile may have replaced (and released) the one read.
      const source = self ? bucket.objects.get(key) : src;
      if (source === undefined) throw noSuchKey(key);
      const own = copied?.blob === undefined ? [] : [{ blob: copied.blob, size: src.size }];
      const segments = self ? source.segments : own;
      rec = copyRecord(metaOf(source), source, key, segments);
      await registry(ctx).commitLocked(bucket, rec);
      committed = true;
    });
  } finally {
    if (!committed && copied?.blob !== undefined) await store.dropBlob(copied.blob);
  }
  const done = rec!;
  const xml = buildCopyObjectResult({ etag: `"${done.etag}"`, lastModified: isoSeconds(done.lastModified) });
  return {
    status: 200,
    headers: { 'content-type': 'application/xml', etag: `"${done.etag}"`, 'x-oss-hash-crc64ecma': done.crc64 },
    body: xml,
  };
}

/** The record of a copy of `source` under `key`: the source's type and integrity values, new metadata and bytes. */
function copyRecord(meta: ObjectMeta, source: ObjectRecord, key: string, segments: Segment[]): ObjectRecord {
  return objectRecord(meta, {
    key,
    type: source.type,
    size: source.size,
    crc64: source.crc64,
    etag: source.etag,
    ...(source.contentMd5 === undefined ? {} : { contentMd5: source.contentMd5 }),
    ...(source.symlinkTarget === undefined ? {} : { symlinkTarget: source.symlinkTarget }),
    lastModified: Date.now(),
    segments,
  });
}

/** Handles UploadPartCopy: the part's bytes are a range of an existing object, its ETag their MD5. */
export async function uploadPartCopy(ctx: OpContext): Promise<Reply> {
  const { bucket, up, number } = targetPart(ctx);
  const limits = ctx.core.options.limits;
  const { rec: src } = copySource(ctx);
  const unchanged = sourceConditions(ctx, src);
  if (unchanged !== undefined) return unchanged;
  const store = ctx.core.store;
  if (!store.keepsBytes) {
    throw new ServerError(
      501,
      'NotImplemented',
      'UploadPartCopy needs the source bytes: this server runs with discard storage.',
    );
  }
  // An invalid range copies the whole object, as a GetObject Range does.
  const decision = decideRange(ctx.headers['x-oss-copy-source-range'], src.size, false);
  const range: ByteRange = decision.kind === 'partial' ? decision.range : { start: 0, end: src.size - 1 };
  if (range.end - range.start + 1 > limits.maxPartSize) {
    throw new ServerError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', {
      MaxSizeAllowed: String(limits.maxPartSize),
    });
  }
  const copied = await copyRange(store, src, range);
  // A part of zero bytes still needs a blob: parts are files of their own.
  const blob = copied.blob ?? (await emptyBlob(store));
  let kept = false;
  try {
    const part = await commitPart(bucket, up, number, blob, copied.digest);
    kept = true;
    const xml = buildCopyPartResult({ etag: `"${part.etag}"`, lastModified: isoSeconds(part.lastModified) });
    // The ETag is in a header too: ali-oss's uploadPartCopy reads it from there.
    const headers = { 'content-type': 'application/xml', etag: `"${part.etag}"`, 'x-oss-hash-crc64ecma': part.crc64 };
    return { status: 200, headers, body: xml };
  } finally {
    if (!kept) await store.dropBlob(blob);
  }
}

/** `COPY` (the default) or `REPLACE`; 400 InvalidArgument otherwise. */
function directiveOf(ctx: OpContext, header: string): 'COPY' | 'REPLACE' {
  const raw = ctx.headers[header];
  if (raw === undefined || raw === '') return 'COPY';
  const v = raw.toUpperCase();
  if (v !== 'COPY' && v !== 'REPLACE') throw invalidArgument(header, raw, `${header} must be COPY or REPLACE.`);
  return v;
}

/** The bucket and record `x-oss-copy-source` names: `/<bucket>/<url-encoded key>[?versionId=…]`. */
function copySource(ctx: OpContext): { bucket: BucketState; rec: ObjectRecord } {
  const raw = ctx.headers['x-oss-copy-source'] ?? '';
  // Versioning is not implemented: a versionId names the only version there is.
  const path = raw.split('?')[0]!.replace(/^\//, '');
  const slash = path.indexOf('/');
  let bucketName: string;
  let key: string;
  try {
    bucketName = decodeURIComponent(path.slice(0, slash));
    key = decodeURIComponent(path.slice(slash + 1));
  } catch {
    throw invalidArgument('x-oss-copy-source', raw, 'The x-oss-copy-source header is not URL-encoded correctly.');
  }
  if (slash <= 0 || key === '') {
    throw invalidArgument(
      'x-oss-copy-source',
      raw,
      'Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.',
    );
  }
  const bucket = ctx.core.registry.get(bucketName);
  checkObjectKey(key, ctx.core.options.limits.maxKeyBytes);
  const rec = bucket.objects.get(key);
  if (rec === undefined) throw noSuchKey(key);
  return { bucket, rec };
}

function preconditionFailed(condition: string): ServerError {
  return new ServerError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', {
    Condition: condition,
  });
}

/** `x-oss-copy-source-if-*`: 412 PreconditionFailed, a 304 answer, or `undefined` to go on. */
function sourceConditions(ctx: OpContext, src: ObjectRecord): Reply | undefined {
  const h = ctx.headers;
  const matches = (list: string): boolean =>
    list.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^"|"$/g, '') === src.etag);
  const date = (name: string): number | undefined => {
    const t = h[name] === undefined ? Number.NaN : Date.parse(h[name]!);
    return Number.isNaN(t) ? undefined : t;
  };
  // HTTP dates have second precision.
  const modified = Math.floor(src.lastModified / 1000) * 1000;
  const ifMatch = h['x-oss-copy-source-if-match'];
  if (ifMatch !== undefined && !matches(ifMatch)) throw preconditionFailed('x-oss-copy-source-if-match');
  const unmodifiedSince = date('x-oss-copy-source-if-unmodified-since');
  if (unmodifiedSince !== undefined && modified > unmodifiedSince)
    throw preconditionFailed('x-oss-copy-source-if-unmodified-since');
  const notModified: Reply = { status: 304, headers: { etag: `"${src.etag}"` } };
  const ifNoneMatch = h['x-oss-copy-source-if-none-match'];
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) return notModified;
  const modifiedSince = date('x-oss-copy-source-if-modified-since');
  if (modifiedSince !== undefined && modified <= modifiedSince) return notModified;
  return undefined;
}

/** A timestamp as OSS writes it in XML: ISO 8601 with the milliseconds zeroed (`…T12:00:00.000Z`). */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** A copied range: its staged blob (`undefined` when empty; the caller commits or drops it) and its digest. */
interface CopiedBytes {
  blob: string | undefined;
  digest: HashedDigest;
}

/** Copies bytes `range` (inclusive) of `rec` into a new staged blob, hashing them, holding the source meanwhile. */
async function copyRange(store: Store, rec: ObjectRecord, range: ByteRange): Promise<CopiedBytes> {
  const md5 = createHash('md5');
  const crc = new Crc64();
  const size = range.end - range.start + 1;
  if (size <= 0 || rec.segments.length === 0)
    return { blob: undefined, digest: { size: 0, md5: md5.digest(), crc64: '0' } };
  const staged = store.createBlob();
  const release = store.hold(rec.segments.map((s) => s.blob));
  try {
    const hasher = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
        md5.update(chunk);
        crc.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(readSegments(store, rec, range), hasher, staged.stream);
  } catch (err) {
    await store.dropBlob(staged.blob);
    throw err;
  } finally {
    release();
  }
  return { blob: staged.blob, digest: { size, md5: md5.digest(), crc64: crc.digest() } };
}

/** A staged blob of zero bytes. */
async function emptyBlob(store: Store): Promise<string> {
  const staged = store.createBlob();
  await new Promise<void>((resolve, reject) => {
    staged.stream.once('error', reject);
    staged.stream.once('close', resolve);
    staged.stream.end();
  });
  return staged.blob;
}
