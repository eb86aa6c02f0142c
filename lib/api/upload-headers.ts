/**
 * Headers of an upload: the caller's (validated), Content-Type guessed from a name unless given, and the encoded
 * upload callback.
 */
import { encodeCallback, encodeCallbackVar, type CallbackVars, type UploadCallback } from '../core/callback.js';
import { contentTypeFor } from '../core/mime.js';
import { validateHeaders } from '../core/validate.js';
import { OssArgumentError } from '../errors.js';

/** Options shared by uploads that create an object. */
export interface UploadHeaderOptions {
  /**
   * Standard headers (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires…) and `x-oss-*`
   * ones, `x-oss-meta-*` included.
   */
  headers?: Record<string, string> | undefined;
  /** Upload callback: OSS POSTs to your server after storing the object. */
  callback?: UploadCallback | undefined;
  /** Custom callback variables (`x:name`). */
  callbackVar?: CallbackVars | undefined;
  /**
   * Object tags, sent URL-encoded as `x-oss-tagging` with PutObject or InitiateMultipartUpload (never with parts or
   * Complete). OSS limits, checked before any request: at most 10 tags, keys 1–128 characters, values ≤ 256.
   */
  tags?: Record<string, string> | undefined;
  /** User metadata: `{ owner: 'ops' }` is sent as `x-oss-meta-owner: ops` (names lower-cased, values ASCII). */
  meta?: Record<string, string> | undefined;
}

/** OSS object tagging limits. */
const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

/** `x-oss-tagging` for `tags`: `k1=v1&k2=v2`, RFC 3986-encoded, after checking OSS's tag limits. */
function taggingHeader(tags: Record<string, string>): string {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
    throw new OssArgumentError('tags must be an object of strings', 'tags');
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw new OssArgumentError(`tags: OSS allows at most ${MAX_TAGS} tags per object, got ${entries.length}`, 'tags');
  }
  const hex = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, hex);
  return entries
    .map(([k, v]) => {
      if (typeof v !== 'string') throw new OssArgumentError(`tags["${k}"] must be a string, got ${typeof v}`, 'tags');
      // OSS counts characters, not bytes.
      const keyLength = [...k].length;
      if (keyLength < 1 || keyLength > MAX_TAG_KEY) {
        throw new OssArgumentError(`tag key ${JSON.stringify(k)} must be 1 to ${MAX_TAG_KEY} characters`, 'tags');
      }
      if ([...v].length > MAX_TAG_VALUE) {
        throw new OssArgumentError(
          `tag ${JSON.stringify(k)}: a value may have at most ${MAX_TAG_VALUE} characters`,
          'tags',
        );
      }
      try {
        return `${enc(k)}=${enc(v)}`;
      } catch {
        throw new OssArgumentError(`tag ${JSON.stringify(k)} contains an unpaired UTF-16 surrogate`, 'tags');
      }
    })
    .join('&');
}

/** `x-oss-meta-*` headers for `meta`. */
function metaHeaders(meta: Record<string, string>): Record<string, string> {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new OssArgumentError('meta must be an object of strings', 'meta');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new OssArgumentError(`meta["${k}"] must be a string, got ${typeof v}`, 'meta');
    if (k === '') throw new OssArgumentError('meta names must not be empty', 'meta');
    out[`x-oss-meta-${k.toLowerCase()}`] = v;
  }
  return out;
}

/** Headers the request path owns: a caller's value would contradict the body or the signature. */
const OWNED: Readonly<Record<string, string>> = {
  'content-length': 'pass the contentLength option instead',
  'transfer-encoding': 'the client picks chunked encoding itself for streams of unknown length',
  authorization: "requests are signed with the Bucket's credentials",
  host: 'the host comes from the endpoint',
};

/** Checks that a raw `x-oss-callback` / `x-oss-callback-var` header is base64 of a JSON object, as OSS requires. */
function checkRawCallback(value: string, name: string, required: readonly string[]): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OssArgumentError(
      `header ${name} must be base64 of a JSON object (or use the callback option, which encodes it for you)`,
      `headers["${name}"]`,
    );
  }
  for (const field of required) {
    const v = (parsed as Record<string, unknown>)[field];
    if (typeof v !== 'string' || v === '')
      throw new OssArgumentError(`header ${name} must name a non-empty ${field}`, `headers["${name}"]`);
  }
}

/** Validated, lower-cased headers with Content-Type (from `nameForType` unless given) and callback headers. */
export function uploadHeaders(opts: UploadHeaderOptions, nameForType: string | undefined): Record<string, string> {
  const h = validateHeaders(opts.headers);
  if (opts.meta !== undefined) {
    for (const [name, value] of Object.entries(validateHeaders(metaHeaders(opts.meta)))) {
      if (h[name] !== undefined) {
        throw new OssArgumentError(`${name} is given both in headers and in meta: pass it once`, 'meta');
      }
      h[name] = value;
    }
  }
  if (opts.tags !== undefined) {
    if (h['x-oss-tagging'] !== undefined) {
      throw new OssArgumentError('give tags either as the tags option or as an x-oss-tagging header, not both', 'tags');
    }
    h['x-oss-tagging'] = taggingHeader(opts.tags);
  }
  for (const [name, why] of Object.entries(OWNED)) {
    if (h[name] !== undefined)
      throw new OssArgumentError(`header ${name} cannot be set on an upload: ${why}`, `headers["${name}"]`);
  }
  if (h['content-type'] === undefined && nameForType !== undefined) h['content-type'] = contentTypeFor(nameForType);
  if (opts.callback !== undefined) {
    if (h['x-oss-callback'] !== undefined)
      throw new OssArgumentError(
        'give the callback either as the callback option or as an x-oss-callback header, not both',
        'callback',
      );
    h['x-oss-callback'] = encodeCallback(opts.callback);
  } else if (h['x-oss-callback'] !== undefined) {
    checkRawCallback(h['x-oss-callback'], 'x-oss-callback', ['callbackUrl', 'callbackBody']);
  }
  if (opts.callbackVar !== undefined) {
    if (h['x-oss-callback-var'] !== undefined)
      throw new OssArgumentError(
        'give callbackVar either as the option or as an x-oss-callback-var header, not both',
        'callbackVar',
      );
    h['x-oss-callback-var'] = encodeCallbackVar(opts.callbackVar);
  } else if (h['x-oss-callback-var'] !== undefined) {
    checkRawCallback(h['x-oss-callback-var'], 'x-oss-callback-var', []);
  }
  return h;
}

/** Headers of InitiateMultipartUpload: the object's headers without the callback, which belongs to Complete. */
export function initiateHeaders(headers: Record<string, string>): Record<string, string> {
  const h = { ...headers };
  delete h['x-oss-callback'];
  delete h['x-oss-callback-var'];
  return h;
}

/** Headers of CompleteMultipartUpload that the object's headers carry over (the callback is passed as an option). */
export function completeHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of ['x-oss-object-acl', 'x-oss-forbid-overwrite']) if (headers[n] !== undefined) out[n] = headers[n];
  return out;
}
