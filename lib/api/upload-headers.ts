/**
 * Headers of an upload: the caller's (validated), Content-Type guessed from a name unless given, and the encoded
 * upload callback.
 */
import { encodeCallback, encodeCallbackVar, type CallbackVars, type UploadCallback } from '../core/callback.js';
import { contentTypeFor } from '../core/mime.js';
import { validateHeaders } from '../core/validate.js';

/** Options shared by uploads that create an object. */
export interface UploadHeaderOptions {
  /** Standard headers (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires…) and `x-oss-*` ones, `x-oss-meta-*` included. */
  headers?: Record<string, string> | undefined;
  /** Upload callback: OSS POSTs to your server after storing the object. */
  callback?: UploadCallback | undefined;
  /** Custom callback variables (`x:name`). */
  callbackVar?: CallbackVars | undefined;
}

/** Validated, lower-cased headers with Content-Type (from `nameForType` unless given) and callback headers. */
export function uploadHeaders(opts: UploadHeaderOptions, nameForType: string | undefined): Record<string, string> {
  const h = validateHeaders(opts.headers);
  if (h['content-type'] === undefined && nameForType !== undefined) h['content-type'] = contentTypeFor(nameForType);
  if (opts.callback !== undefined) h['x-oss-callback'] = encodeCallback(opts.callback);
  if (opts.callbackVar !== undefined) h['x-oss-callback-var'] = encodeCallbackVar(opts.callbackVar);
  return h;
}
