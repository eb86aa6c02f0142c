/**
 * Upload callbacks (`x-oss-callback`, `x-oss-callback-var`): after storing the object, OSS POSTs `body` to `url` and
 * returns that server's answer as the upload's response body.
 */
import { OssArgumentError } from '../errors.js';

/** What OSS should call after storing the object. */
export interface UploadCallback {
  /** Callback URL, or up to 5 URLs tried in order. */
  url: string | string[];
  /** Body OSS posts; variables: `${bucket} ${object} ${etag} ${size} ${mimeType}` and custom `${x:name}`. */
  body: string;
  /** Host header for the callback request (default: the URL's host). */
  host?: string;
  /** Default `application/x-www-form-urlencoded`. */
  bodyType?: 'application/x-www-form-urlencoded' | 'application/json';
  /** Send SNI when calling an HTTPS callback URL. */
  sni?: boolean;
}

/** Custom callback variables: keys `x:name` (lower-case), string values. */
export type CallbackVars = Record<string, string | number | boolean>;

const BODY_TYPES = new Set(['application/x-www-form-urlencoded', 'application/json']);

/** Validates `cb` and encodes it as the base64 JSON value of `x-oss-callback`. */
export function encodeCallback(cb: UploadCallback): string {
  if (cb === null || typeof cb !== 'object')
    throw new OssArgumentError('callback must be an object { url, body, … }', 'callback');
  const urls = Array.isArray(cb.url) ? cb.url : [cb.url];
  if (
    urls.length === 0 ||
    urls.length > 5 ||
    urls.some((u) => typeof u !== 'string' || !/^https?:\/\/[^\s/]/i.test(u))
  ) {
    throw new OssArgumentError('callback.url must be 1 to 5 http(s) URLs', 'callback.url');
  }
  if (typeof cb.body !== 'string' || cb.body.length === 0) {
    throw new OssArgumentError(
      'callback.body must be a non-empty string (OSS rejects an empty callbackBody)',
      'callback.body',
    );
  }
  if (cb.host !== undefined && (typeof cb.host !== 'string' || cb.host.length === 0)) {
    throw new OssArgumentError('callback.host must be a non-empty string', 'callback.host');
  }
  if (cb.bodyType !== undefined && !BODY_TYPES.has(cb.bodyType)) {
    throw new OssArgumentError(`callback.bodyType must be one of ${[...BODY_TYPES].join(', ')}`, 'callback.bodyType');
  }
  if (cb.sni !== undefined && typeof cb.sni !== 'boolean')
    throw new OssArgumentError('callback.sni must be a boolean', 'callback.sni');
  const json: Record<string, unknown> = {
    // OSS expects URL-encoded URLs, separated by ';'
    callbackUrl: urls.map((u) => encodeURI(decodeURI(u))).join(';'),
    callbackBody: cb.body,
  };
  if (cb.host !== undefined) json.callbackHost = cb.host;
  if (cb.bodyType !== undefined) json.callbackBodyType = cb.bodyType;
  if (cb.sni !== undefined) json.callbackSNI = cb.sni;
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64');
}

/** Validates custom variables and encodes them as the base64 JSON value of `x-oss-callback-var`. */
export function encodeCallbackVar(vars: CallbackVars): string {
  if (vars === null || typeof vars !== 'object')
    throw new OssArgumentError('callbackVar must be an object of x:name → value', 'callbackVar');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (!/^x:[a-z0-9_-]+$/.test(k)) {
      throw new OssArgumentError(
        `callbackVar key ${JSON.stringify(k)} must look like 'x:name' (lower-case letters, digits, _ or -)`,
        'callbackVar',
      );
    }
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw new OssArgumentError(`callbackVar ${k} must be a string, number or boolean`, 'callbackVar');
    }
    out[k] = String(v);
  }
  return Buffer.from(JSON.stringify(out), 'utf8').toString('base64');
}
