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
  /** Standard headers (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires…) and `x-oss-*` ones, `x-oss-meta-*` included. */
  headers?: Record<string, string> | undefined;
  /** Upload callback: OSS POSTs to your server after storing the object. */
  callback?: UploadCallback | undefined;
  /** Custom callback variables (`x:name`). */
  callbackVar?: CallbackVars | undefined;
}

/** Headers the request path owns: a caller's value would contradict the body or the signature. */
const OWNED: Readonly<Record<string, string>> = {
  'content-length': 'pass the contentLength option instead',
  'transfer-encoding': 'the client picks chunked encoding itself for streams of unknown length',
  authorization: 'requests are signed with the Bucket\'s credentials',
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
    throw new OssArgumentError(`header ${name} must be base64 of a JSON object (or use the callback option, which encodes it for you)`, `headers["${name}"]`);
  }
  for (const field of required) {
    const v = (parsed as Record<string, unknown>)[field];
    if (typeof v !== 'string' || v === '') throw new OssArgumentError(`header ${name} must name a non-empty ${field}`, `headers["${name}"]`);
  }
}

/** Validated, lower-cased headers with Content-Type (from `nameForType` unless given) and callback headers. */
export function uploadHeaders(opts: UploadHeaderOptions, nameForType: string | undefined): Record<string, string> {
  const h = validateHeaders(opts.headers);
  for (const [name, why] of Object.entries(OWNED)) {
    if (h[name] !== undefined) throw new OssArgumentError(`header ${name} cannot be set on an upload: ${why}`, `headers["${name}"]`);
  }
  if (h['content-type'] === undefined && nameForType !== undefined) h['content-type'] = contentTypeFor(nameForType);
  if (opts.callback !== undefined) {
    if (h['x-oss-callback'] !== undefined) throw new OssArgumentError('give the callback either as the callback option or as an x-oss-callback header, not both', 'callback');
    h['x-oss-callback'] = encodeCallback(opts.callback);
  } else if (h['x-oss-callback'] !== undefined) {
    checkRawCallback(h['x-oss-callback'], 'x-oss-callback', ['callbackUrl', 'callbackBody']);
  }
  if (opts.callbackVar !== undefined) {
    if (h['x-oss-callback-var'] !== undefined) throw new OssArgumentError('give callbackVar either as the option or as an x-oss-callback-var header, not both', 'callbackVar');
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
