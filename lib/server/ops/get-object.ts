/**
 * GetObject, HeadObject and GetObjectMeta. Bodies are streamed from the object's blobs (a multipart object is read
 * part after part); the blobs are pinned while read, so a concurrent overwrite or delete never cuts a download.
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { requireBucket, requireKey, type OpContext } from '../context.js';
import { recordHeaders, type ObjectRecord } from '../object-record.js';
import { decideRange, type ByteRange } from '../range.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';
import type { Store } from '../storage/store.js';

/** NoSuchKey as OSS words it. */
export function noSuchKey(key: string): ServerError {
  return new ServerError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

/** The record of the addressed object; 404 NoSuchKey when absent. */
function lookup(ctx: OpContext): ObjectRecord {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const rec = bucket.objects.get(key);
  if (rec === undefined) throw noSuchKey(key);
  return rec.type === 'Symlink' ? followSymlink(bucket.objects, rec) : rec;
}

/**
 * What GET and HEAD of a symlink answer: the target's bytes and integrity headers, with the link's type and user
 * metadata, and the later of both modification times. 404 SymlinkTargetNotExist when the target is missing, 400
 * InvalidTargetType when it is itself a symlink (OSS follows one link only).
 */
function followSymlink(objects: ReadonlyMap<string, ObjectRecord>, link: ObjectRecord): ObjectRecord {
  const target = objects.get(link.symlinkTarget ?? '');
  const names = { Key: link.key, SymlinkTarget: link.symlinkTarget ?? '' };
  if (target === undefined) {
    throw new ServerError(404, 'SymlinkTargetNotExist', 'The symlink target object does not exist', {
      ...names,
      EC: '0026-00000012',
    });
  }
  if (target.type === 'Symlink') {
    throw new ServerError(400, 'InvalidTargetType', 'The symlink target object is itself a symlink.', names);
  }
  const lastModified = Math.max(link.lastModified, target.lastModified);
  return { ...target, key: link.key, type: 'Symlink', userMeta: link.userMeta, lastModified };
}

const OVERRIDES: ReadonlyArray<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

function preconditionFailed(condition: string): ServerError {
  return new ServerError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', {
    Condition: condition,
  });
}

/** Answers If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since: 412 or 304, or nothing. */
function checkConditions(ctx: OpContext, rec: ObjectRecord): Reply | undefined {
  const h = ctx.headers;
  const etag = `"${rec.etag}"`;
  // HTTP dates have second precision.
  const modified = Math.floor(rec.lastModified / 1000) * 1000;
  const matches = (list: string): boolean =>
    list.split(',').some((t) => t.trim() === '*' || t.trim() === etag || t.trim() === rec.etag);
  const since = (name: string): number | undefined => {
    const v = h[name];
    const t = v === undefined ? Number.NaN : Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  };
  const notModified: Reply = {
    status: 304,
    headers: { etag, 'last-modified': new Date(rec.lastModified).toUTCString() },
  };
  if (h['if-match'] !== undefined && !matches(h['if-match'])) throw preconditionFailed('If-Match');
  const unmodifiedSince = since('if-unmodified-since');
  if (unmodifiedSince !== undefined && modified > unmodifiedSince) throw preconditionFailed('If-Unmodified-Since');
  if (h['if-none-match'] !== undefined && matches(h['if-none-match'])) return notModified;
  const modifiedSince = since('if-modified-since');
  if (modifiedSince !== undefined && modified <= modifiedSince) return notModified;
  return undefined;
}

/** Handles HeadObject. */
export async function headObject(ctx: OpContext): Promise<Reply> {
  const rec = lookup(ctx);
  const cond = checkConditions(ctx, rec);
  if (cond !== undefined) return cond;
  return { status: 200, headers: { ...recordHeaders(rec), 'content-length': String(rec.size) } };
}

/** Handles GetObjectMeta (`HEAD|GET /<key>?objectMeta`): size, ETag, last access and modification only. */
export async function getObjectMeta(ctx: OpContext): Promise<Reply> {
  const rec = lookup(ctx);
  return {
    status: 200,
    headers: {
      etag: `"${rec.etag}"`,
      'x-oss-object-size': String(rec.size),
      'last-modified': new Date(rec.lastModified).toUTCString(),
      'x-oss-hash-crc64ecma': rec.crc64,
      // OSS reports the object's size in Content-Length on HEAD (clients read it as the size); a GET has an empty body.
      'content-length': ctx.method === 'HEAD' ? String(rec.size) : '0',
    },
  };
}

/** Handles GetObject. In discard storage there are no bytes to return: 404 NoSuchKey. */
export async function getObject(ctx: OpContext): Promise<Reply> {
  const rec = lookup(ctx);
  const store = ctx.core.store;
  if (!store.keepsBytes && rec.size > 0) {
    throw new ServerError(
      404,
      'NoSuchKey',
      'The specified key does not exist: this server runs with discard storage and keeps no object bytes.',
      { Key: rec.key },
    );
  }
  const cond = checkConditions(ctx, rec);
  if (cond !== undefined) return cond;
  const standard = (ctx.headers['x-oss-range-behavior'] ?? '').toLowerCase() === 'standard';
  const decision = decideRange(ctx.headers['range'], rec.size, standard);
  if (decision.kind === 'unsatisfiable') {
    throw new ServerError(
      416,
      'InvalidRange',
      'The requested range cannot be satisfied',
      {},
      { 'content-range': `bytes */${rec.size}` },
    );
  }
  const headers = recordHeaders(rec);
  for (const [param, header] of OVERRIDES) {
    const v = ctx.query[param];
    if (v !== undefined && v !== null) headers[header] = v;
  }
  const range: ByteRange = decision.kind === 'partial' ? decision.range : { start: 0, end: rec.size - 1 };
  const length = range.end - range.start + 1;
  headers['content-length'] = String(length);
  let status = 200;
  if (decision.kind === 'partial') {
    status = 206;
    headers['content-range'] = `bytes ${range.start}-${range.end}/${rec.size}`;
  }
  if (length === 0) return { status, headers };
  const blobs = rec.segments.map((s) => s.blob);
  const release = store.hold(blobs);
  if (decision.kind !== 'partial' && gzipWanted(ctx.headers['accept-encoding'], rec)) {
    // Compressed on the fly, so the length, the ETag and byte ranges no longer describe the body: OSS drops them.
    delete headers['content-length'];
    delete headers['etag'];
    delete headers['accept-ranges'];
    headers['content-encoding'] = 'gzip';
    headers['vary'] = 'Accept-Encoding';
    const gzip = pipeline(readSegments(store, rec, range), createGzip(), () => undefined);
    return { status, headers, stream: gzip, release };
  }
  return { status, headers, stream: readSegments(store, rec, range), release };
}

// What OSS compresses for `Accept-Encoding: gzip` (its FAQ "How do I compress objects that I download from OSS in
// the GZIP format?"): web text types, objects of 1 KB or more, whole-object GETs.
const GZIP_TYPES = new Set([
  'text/cache-manifest',
  'text/xml',
  'text/css',
  'text/html',
  'text/plain',
  'application/javascript',
  'application/x-javascript',
  'application/rss+xml',
  'application/json',
  'text/json',
]);
const GZIP_MIN_SIZE = 1024;

/** Whether OSS would gzip `rec` for a GET with this Accept-Encoding (an object stored already encoded never is). */
function gzipWanted(acceptEncoding: string | undefined, rec: ObjectRecord): boolean {
  if (acceptEncoding === undefined || rec.size < GZIP_MIN_SIZE || rec.contentEncoding !== undefined) return false;
  if (!GZIP_TYPES.has(rec.contentType.split(';')[0]!.trim().toLowerCase())) return false;
  return acceptEncoding.split(',').some((token) => {
    const [coding, ...params] = token.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return coding === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** One stream over the byte range `r` of the concatenated segments, opening each blob only when it is reached. */
export function readSegments(store: Store, rec: ObjectRecord, r: ByteRange): Readable {
  const segs = rec.segments;
  if (segs.length === 1) return store.readBlob(segs[0]!.blob, r.start, r.end) as Readable;
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  void (async () => {
    let offset = 0;
    for (const s of segs) {
      const segStart = offset;
      const segEnd = offset + s.size - 1;
      offset += s.size;
      if (segEnd < r.start) continue;
      if (segStart > r.end) break;
      const from = Math.max(r.start, segStart) - segStart;
      const to = Math.min(r.end, segEnd) - segStart;
      const src = store.readBlob(s.blob, from, to) as Readable;
      for await (const chunk of src) {
        if (out.destroyed) {
          src.destroy();
          return;
        }
        if (!out.write(chunk))
          await new Promise<void>((resolve) => {
            const done = (): void => {
              out.off('drain', done);
              out.off('close', done);
              resolve();
            };
            out.on('drain', done);
            out.on('close', done);
          });
      }
    }
    out.end();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
