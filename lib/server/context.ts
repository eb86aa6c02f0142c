/**
 * What an operation handler gets: the addressed bucket/key, decoded query, headers, the fault drawn for this
 * request, and helpers that read the body the one right way (counted, hashed, size-checked) and commit the object it
 * made (under the key's lock, honouring `x-oss-forbid-overwrite`).
 */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { BucketRegistry, BucketState } from './bucket-registry.js';
import { readSmallBody, receiveBody, type BodyDigest } from './body-receiver.js';
import type { FaultAction } from './faults.js';
import { checkObjectKey } from './names.js';
import { invalidArgument, type ObjectRecord } from './object-record.js';
import type { ResolvedServerOptions } from './options.js';
import type { OpName } from './router.js';
import { ServerError } from './server-error.js';
import type { Store } from './storage/store.js';
import type { Throttle } from './traffic-limit.js';

/** Server-wide state shared by every handler. */
export interface ServerCore {
  readonly options: ResolvedServerOptions;
  readonly registry: BucketRegistry;
  readonly store: Store;
}

/** One request as a handler sees it. */
export interface OpContext {
  readonly core: ServerCore;
  readonly req: IncomingMessage;
  readonly op: OpName;
  readonly method: string;
  readonly bucketName: string | undefined;
  readonly key: string | undefined;
  readonly query: Record<string, string | null>;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly requestId: string;
  /** `Host` as received, for `Location` values. */
  readonly host: string;
  /** How the bucket was addressed. */
  readonly style: 'path' | 'virtual-host' | 'none';
  readonly fault: FaultAction | undefined;
  /** Counts request body bytes for the stats. */
  readonly onBytesIn: (n: number) => void;
  /** Set once a helper started reading the body; the dispatcher drains unread bodies. */
  bodyTaken: boolean;
  /** Paces the request body (`x-oss-traffic-limit`), when asked for. */
  throttle?: Throttle | undefined;
}

/** The addressed bucket; 404 NoSuchBucket when absent. */
export function requireBucket(ctx: OpContext): BucketState {
  if (ctx.bucketName === undefined) throw new ServerError(400, 'InvalidArgument', 'A bucket is required.');
  return ctx.core.registry.get(ctx.bucketName);
}

/** The addressed key, checked against the object-name rules (400 InvalidObjectName). */
export function requireKey(ctx: OpContext): string {
  const key = ctx.key ?? '';
  checkObjectKey(key, ctx.core.options.limits.maxKeyBytes);
  return key;
}

/** The registry. */
export function registry(ctx: OpContext): BucketRegistry {
  return ctx.core.registry;
}

/**
 * The declared body length. PUT/POST uploads need `Content-Length` or `Transfer-Encoding: chunked`
 * (411 MissingContentLength otherwise); returns `undefined` for chunked bodies.
 */
export function declaredLength(ctx: OpContext): number | undefined {
  const cl = ctx.headers['content-length'];
  if (cl === undefined) {
    if (ctx.headers['transfer-encoding'] === undefined) {
      throw new ServerError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    }
    return undefined;
  }
  if (!/^\d+$/.test(cl)) throw invalidArgument('Content-Length', cl, 'The Content-Length header is not valid.');
  return Number(cl);
}

/** 400 EntityTooLarge when a declared length already exceeds `max`. */
export function checkDeclared(length: number | undefined, max: number): void {
  if (length !== undefined && length > max) {
    throw new ServerError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', {
      MaxSizeAllowed: String(max),
    });
  }
}

/** The decoded `Content-Md5` header (16 bytes), `undefined` when absent; 400 InvalidDigest when malformed. */
export function expectedMd5(ctx: OpContext): Buffer | undefined {
  const v = ctx.headers['content-md5'];
  if (v === undefined) return undefined;
  const b = Buffer.from(v, 'base64');
  if (b.length !== 16 || b.toString('base64') !== v.trim()) {
    throw new ServerError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.', { 'Content-MD5': v });
  }
  return b;
}

/** 400 InvalidDigest when the body's MD5 differs from `expected`. */
export function checkMd5(expected: Buffer | undefined, digest: BodyDigest): void {
  if (expected !== undefined && digest.md5 !== undefined && !expected.equals(digest.md5)) {
    throw new ServerError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what we received.', {
      'Content-MD5': expected.toString('base64'),
      CalculatedMD5: digest.md5.toString('base64'),
    });
  }
}

/**
 * What an upload checks of its headers before reading its body: a well-formed Content-MD5 (returned decoded, for
 * {@link receive} to compare) and a declared length within `max`.
 */
export function checkBodyHeaders(ctx: OpContext, max: number): Buffer | undefined {
  const md5 = expectedMd5(ctx);
  checkDeclared(declaredLength(ctx), max);
  return md5;
}

/** True when `x-oss-forbid-overwrite: true`. */
export function forbidsOverwrite(ctx: OpContext): boolean {
  return (ctx.headers['x-oss-forbid-overwrite'] ?? '').toLowerCase() === 'true';
}

/** 409 FileAlreadyExists. */
export function fileAlreadyExists(): ServerError {
  return new ServerError(
    409,
    'FileAlreadyExists',
    'The object you specified already exists and can not be overwritten.',
  );
}

/**
 * `x-oss-forbid-overwrite`, checked at once: 409 FileAlreadyExists when it is set and `key` exists. Returns whether
 * it is set, for {@link commitObject} to check again: the key may appear while the body arrives.
 */
export function checkOverwrite(ctx: OpContext, bucket: BucketState, key: string): boolean {
  const forbid = forbidsOverwrite(ctx);
  if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();
  return forbid;
}

/** Commits `rec` under its key's lock; 409 FileAlreadyExists instead when `forbid` and the key exists by then. */
export async function commitObject(
  ctx: OpContext,
  bucket: BucketState,
  rec: ObjectRecord,
  forbid: boolean,
): Promise<void> {
  await registry(ctx).withKey(bucket.name, rec.key, async () => {
    if (forbid && bucket.objects.has(rec.key)) throw fileAlreadyExists();
    await registry(ctx).commitLocked(bucket, rec);
  });
}

/**
 * Streams the body into `dest` (see {@link receiveBody}), applying a `reset` fault. A chunked body that also declares
 * a Content-Length must decode to exactly that many bytes (400 IncompleteBody otherwise, after the body was read, so
 * the caller drops what it staged); HTTP framing already holds a plain body to its Content-Length. Then 400
 * InvalidDigest when `md5` is given and the body's differs.
 */
export async function receive(ctx: OpContext, dest: Writable, maxBytes: number, md5?: Buffer): Promise<BodyDigest> {
  ctx.bodyTaken = true;
  const resetAfter = ctx.fault?.type === 'reset' ? (ctx.fault.afterBytes ?? 0) : undefined;
  const digest = await receiveBody(ctx.req, dest, {
    maxBytes,
    resetAfter,
    onBytes: ctx.onBytesIn,
    throttle: ctx.throttle,
    // Benchmark mode skips MD5, but a Content-MD5 the client sent is still checked.
    md5: !ctx.core.options.skipMd5 || ctx.headers['content-md5'] !== undefined,
  });
  const declared = ctx.headers['content-length'];
  if (ctx.headers['transfer-encoding'] !== undefined && declared !== undefined && Number(declared) !== digest.size) {
    const message = 'The chunked body does not have the length its Content-Length declares.';
    throw new ServerError(400, 'IncompleteBody', message, {
      ContentLength: declared,
      ReceivedLength: String(digest.size),
    });
  }
  checkMd5(md5, digest);
  return digest;
}

/** Reads a small body into memory (XML documents). */
export function readSmall(ctx: OpContext, maxBytes: number): Promise<Buffer> {
  ctx.bodyTaken = true;
  return readSmallBody(ctx.req, maxBytes, ctx.onBytesIn);
}

/** Whether the request asked for `encoding-type=url` key encoding in XML results. */
export function encodingType(ctx: OpContext): 'url' | undefined {
  const e = ctx.query['encoding-type'];
  if (e === undefined || e === null || e === '') return undefined;
  if (e !== 'url') throw invalidArgument('encoding-type', e, 'The encoding-type parameter must be url.');
  return 'url';
}

/** An integer query parameter in `[min, max]`, or `dflt` when absent; 400 InvalidArgument otherwise. */
export function intParam(ctx: OpContext, name: string, dflt: number, min: number, max: number): number {
  const v = ctx.query[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw invalidArgument(name, v, `${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(v);
}

/** A string query parameter, `''` when absent. */
export function strParam(ctx: OpContext, name: string): string {
  return ctx.query[name] ?? '';
}

/** The URL of `key` as OSS reports it in `Location` (addressing style of the request). */
export function objectLocation(ctx: OpContext, bucket: string, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return ctx.style === 'virtual-host' ? `http://${ctx.host}/${path}` : `http://${ctx.host}/${bucket}/${path}`;
}
