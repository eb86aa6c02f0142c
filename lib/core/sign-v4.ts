/**
 * OSS signature V4 (`OSS4-HMAC-SHA256`), as pure functions of (request, credentials, time). The client signs with
 * {@link signRequestV4} / {@link presignV4}; the local server verifies by parsing the header with
 * {@link parseAuthorizationV4} and recomputing through {@link canonicalRequestV4}, {@link stringToSignV4},
 * {@link signatureForScopeV4}.
 *
 * Protocol reference §2. Signing is a hot path (benchmarked in signatures/s): derived signing keys are cached per
 * (secret, day, region, product) in a small bounded map, and the common cases avoid intermediate arrays.
 */
import { createHmac, hash } from 'node:crypto';
import { MAX_PRESIGN_EXPIRES_SECONDS } from '../config.js';
import { OssArgumentError } from '../errors.js';
import {
  compareBytewise,
  formatRfc1123,
  headerLines,
  type SignableRequest,
  type SigningCredentials,
} from './sign-v1.js';

export { formatRfc1123 };

/** The V4 algorithm name, first word of the Authorization header and of the StringToSign. */
export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
/** Payload hash used when the body is not hashed (always, for streams). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Last field of a V4 credential scope. */
export const V4_TERMINATOR = 'aliyun_v4_request';
const DEFAULT_PRODUCT = 'oss';

// Strings made only of RFC 3986 unreserved characters (plus '/') need no work: return them as is, no allocation.
const UNRESERVED_RE = /^[A-Za-z0-9\-_.~]*$/;
const UNRESERVED_OR_SLASH_RE = /^[A-Za-z0-9\-_.~/]*$/;
// encodeURIComponent leaves these sub-delims alone; RFC 3986 (and OSS) want them escaped.
const SUB_DELIMS_RE = /[!'()*]/g;
const ENCODED_SLASH_RE = /%2F/g;

function escapeSubDelim(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes of `s`: `A-Z a-z 0-9 - _ . ~` are kept, everything else becomes
 * upper-case `%XX`. With `keepSlash`, `/` is kept (object paths); otherwise it is `%2F` (query keys and values).
 * Throws {@link OssArgumentError} for strings with unpaired surrogates, which have no UTF-8 form.
 */
export function uriEncode(s: string, keepSlash: boolean): string {
  if ((keepSlash ? UNRESERVED_OR_SLASH_RE : UNRESERVED_RE).test(s)) return s;
  let out: string;
  try {
    out = encodeURIComponent(s);
  } catch {
    throw new OssArgumentError('cannot URI-encode a string with an unpaired UTF-16 surrogate', 'key');
  }
  out = out.replace(SUB_DELIMS_RE, escapeSubDelim);
  return keepSlash ? out.replace(ENCODED_SLASH_RE, '/') : out;
}

/** `yyyymmddTHHMMSSZ` (UTC), the V4 `x-oss-date` format. */
export function formatIsoBasic(d: Date): string {
  const iso = d.toISOString(); // 2023-12-16T16:20:57.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** Standard region id for the scope: `oss-cn-hangzhou` → `cn-hangzhou` (ali-oss does the same). */
export function standardRegionV4(region: string): string {
  if (typeof region !== 'string' || region === '') {
    throw new OssArgumentError('V4 signing needs a region such as "cn-hangzhou"', 'region');
  }
  return region.startsWith('oss-') ? region.slice(4) : region;
}

/** `yyyymmdd/region/product/aliyun_v4_request`. */
function scopeV4(yyyymmdd: string, region: string, product: string = DEFAULT_PRODUCT): string {
  return `${yyyymmdd}/${region}/${product}/${V4_TERMINATOR}`;
}

function isAlwaysSignedV4(lowerName: string): boolean {
  return lowerName === 'content-type' || lowerName === 'content-md5' || lowerName.startsWith('x-oss-');
}

const NO_HEADERS: readonly string[] = Object.freeze([]);

/**
 * The AdditionalHeaders list actually signed: names lower-cased and trimmed, duplicates removed, headers that are
 * signed anyway (`content-type`, `content-md5`, `x-oss-*`) dropped, only those present in `headers` kept, sorted
 * in byte order.
 */
export function additionalHeadersV4(
  requested: readonly string[] | undefined,
  headers: Record<string, string>,
): readonly string[] {
  if (requested === undefined || requested.length === 0) return NO_HEADERS;
  let present: Set<string> | undefined;
  const out: string[] = [];
  for (const raw of requested) {
    const name = raw.trim().toLowerCase();
    if (name === '' || isAlwaysSignedV4(name) || out.includes(name)) continue;
    if (present === undefined) {
      present = new Set();
      for (const h in headers) if (headers[h] !== undefined) present.add(h.toLowerCase());
    }
    if (present.has(name)) out.push(name);
  }
  return out.length === 0 ? NO_HEADERS : out.sort(compareBytewise);
}

/** CanonicalQuery: every parameter, key and value RFC 3986-encoded, sorted by encoded key in byte order. */
export function canonicalQueryV4(query: Record<string, string | null>): string {
  let pairs: [string, string][] | undefined;
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    const k = uriEncode(key, false);
    // Sort on the key alone: sorting "k=v" strings would order "a-b=…" before "a=…".
    (pairs ??= []).push([k, value === null || value === '' ? k : `${k}=${uriEncode(value, false)}`]);
  }
  if (pairs === undefined) return '';
  if (pairs.length === 1) return pairs[0]![1];
  pairs.sort((a, b) => compareBytewise(a[0], b[0]));
  let out = pairs[0]![1];
  for (let i = 1; i < pairs.length; i++) out += `&${pairs[i]![1]}`;
  return out;
}

/** CanonicalHeaders: signed headers as `name:value\n` (lower-case name, trimmed value), sorted by name. */
function canonicalHeadersV4(headers: Record<string, string>, additional: readonly string[]): string {
  const pairs: [string, string][] = [];
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (isAlwaysSignedV4(name) || (additional.length > 0 && additional.includes(name)))
      pairs.push([name, value.trim()]);
  }
  return headerLines(pairs);
}

function canonicalUriV4(bucket: string | undefined, key: string | undefined): string {
  return bucket === undefined ? '/' : uriEncode(`/${bucket}/${key ?? ''}`, true);
}

function buildCanonicalRequest(req: SignableRequest, additional: readonly string[], payloadHash: string): string {
  return (
    `${req.method}\n${canonicalUriV4(req.bucket, req.key)}\n${canonicalQueryV4(req.query)}\n` +
    `${canonicalHeadersV4(req.headers, additional)}\n${additional.join(';')}\n${payloadHash}`
  );
}

/**
 * The V4 CanonicalRequest. `additionalHeaders` is normalised with {@link additionalHeadersV4}. The payload line is
 * `payloadHash`, else the request's `x-oss-content-sha256`, else `UNSIGNED-PAYLOAD`.
 */
export function canonicalRequestV4(
  req: SignableRequest,
  additionalHeaders: readonly string[],
  payloadHash?: string,
): string {
  const additional = additionalHeadersV4(additionalHeaders, req.headers);
  return buildCanonicalRequest(req, additional, payloadHash ?? req.headers['x-oss-content-sha256'] ?? UNSIGNED_PAYLOAD);
}

/** `OSS4-HMAC-SHA256\n<isoDate>\n<scope>\n<hex sha256(canonicalRequest)>`. */
export function stringToSignV4(isoDate: string, scope: string, canonicalRequest: string): string {
  return `${V4_ALGORITHM}\n${isoDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
}

function deriveSigningKey(secret: string, yyyymmdd: string, region: string, product: string): Buffer {
  const kDate = createHmac('sha256', `aliyun_v4${secret}`).update(yyyymmdd).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kProduct = createHmac('sha256', kRegion).update(product).digest();
  return createHmac('sha256', kProduct).update(V4_TERMINATOR).digest();
}

/**
 * A small bounded cache of derived V4 signing keys, keyed by (secret, day, region, product). The last key used is
 * checked first without building a map key, so a client signing with one credential allocates nothing here.
 * Least recently used entries are evicted. Inspecting the cache shows only its size: secrets are part of its keys.
 */
export class SigningKeyCacheV4 {
  readonly #max: number;
  readonly #map = new Map<string, Buffer>();
  #lastSecret = '';
  #lastDay = '';
  #lastRegion = '';
  #lastProduct = '';
  #lastKey: Buffer | undefined;

  /** @param max entries kept (default 16); at least 1. */
  constructor(max = 16) {
    if (!Number.isInteger(max) || max < 1)
      throw new OssArgumentError(`cache size must be a positive integer, got ${String(max)}`, 'max');
    this.#max = max;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#map.size;
  }

  /** The signing key; the returned Buffer is shared, do not modify it. */
  get(secret: string, yyyymmdd: string, region: string, product: string): Buffer {
    if (
      this.#lastKey !== undefined &&
      yyyymmdd === this.#lastDay &&
      secret === this.#lastSecret &&
      region === this.#lastRegion &&
      product === this.#lastProduct
    ) {
      return this.#lastKey;
    }
    // '\n' cannot occur in a day, region or product, so the composite key is unambiguous.
    const id = `${yyyymmdd}\n${region}\n${product}\n${secret}`;
    let key = this.#map.get(id);
    if (key === undefined) {
      key = deriveSigningKey(secret, yyyymmdd, region, product);
      if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    } else {
      this.#map.delete(id); // re-inserted below as most recently used
    }
    this.#map.set(id, key);
    this.#lastSecret = secret;
    this.#lastDay = yyyymmdd;
    this.#lastRegion = region;
    this.#lastProduct = product;
    this.#lastKey = key;
    return key;
  }

  /** Drops every entry (e.g. after rotating credentials). */
  clear(): void {
    this.#map.clear();
    this.#lastKey = undefined;
    this.#lastSecret = '';
  }

  /** Never shows entries: their keys contain secrets. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigningKeyCacheV4 { size: ${this.#map.size}, max: ${this.#max} }`;
  }

  /** Never serialises entries. */
  toJSON(): { size: number; max: number } {
    return { size: this.#map.size, max: this.#max };
  }
}

const keyCache = new SigningKeyCacheV4(16);

/**
 * Lower-case hex signature of `stringToSign` under the signing key of (secret, day, region, product), taken from
 * the module's cache without a copy: what a verifier needs.
 */
export function signatureForScopeV4(
  secret: string,
  scope: Readonly<{ date: string; region: string; product: string }>,
  stringToSign: string,
): string {
  return signatureV4(keyCache.get(secret, scope.date, scope.region, scope.product), stringToSign);
}

/** Lower-case hex `HMAC-SHA256(signingKey, stringToSign)`. */
export function signatureV4(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Options of {@link signRequestV4} and {@link presignV4}. */
interface SignV4Options {
  /** Region id (`cn-hangzhou`); an `oss-` prefix is stripped. */
  region: string;
  /** Product in the scope; default `oss` (`oss-cloudbox` for CloudBox). */
  product?: string;
  /** Extra headers to sign (e.g. `host`); see {@link additionalHeadersV4}. */
  additionalHeaders?: readonly string[];
}

/**
 * Signs a request with V4 header auth, mutating `req.headers`: sets `x-oss-date` (`yyyymmddTHHMMSSZ`),
 * `x-oss-content-sha256` (`UNSIGNED-PAYLOAD` unless the caller set a hash), `x-oss-security-token` for STS
 * credentials (a stale one is removed otherwise) and `authorization`. Safe to call again on retry.
 */
export function signRequestV4(req: SignableRequest, creds: SigningCredentials, now: Date, opts: SignV4Options): void {
  const region = standardRegionV4(opts.region);
  const product = opts.product ?? DEFAULT_PRODUCT;
  const h = req.headers;
  const isoDate = formatIsoBasic(now);
  const day = isoDate.slice(0, 8);
  h['x-oss-date'] = isoDate;
  h['x-oss-content-sha256'] ??= UNSIGNED_PAYLOAD;
  if (creds.securityToken) h['x-oss-security-token'] = creds.securityToken;
  // Deleting a property turns the headers into a slow dictionary object: only when there is one to delete.
  else if (h['x-oss-security-token'] !== undefined) delete h['x-oss-security-token'];
  const additional = additionalHeadersV4(opts.additionalHeaders, h);
  const scope = scopeV4(day, region, product);
  const sts = stringToSignV4(isoDate, scope, buildCanonicalRequest(req, additional, h['x-oss-content-sha256']));
  const signature = signatureV4(keyCache.get(creds.accessKeySecret, day, region, product), sts);
  const additionalPart = additional.length === 0 ? '' : `,AdditionalHeaders=${additional.join(';')}`;
  h['authorization'] =
    `${V4_ALGORITHM} Credential=${creds.accessKeyId}/${scope}${additionalPart},Signature=${signature}`;
}

/**
 * Query parameters that make a V4 presigned URL valid for `expiresSeconds` (1…604800) from `now`:
 * `x-oss-signature-version`, `x-oss-credential`, `x-oss-date`, `x-oss-expires`, optional
 * `x-oss-additional-headers` and `x-oss-security-token`, and `x-oss-signature`. Values are raw: URL-encode them
 * when building the URL. The payload line is `UNSIGNED-PAYLOAD`; headers present in `req.headers` (Content-Type,
 * `x-oss-*`, additional ones) are signed and must be sent by the URL's user. `req` is not modified.
 */
export function presignV4(
  req: SignableRequest,
  creds: SigningCredentials,
  now: Date,
  expiresSeconds: number,
  opts: SignV4Options,
): Record<string, string> {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new OssArgumentError(
      `V4 presigned URLs expire after 1 to ${MAX_PRESIGN_EXPIRES_SECONDS} seconds, got ${String(expiresSeconds)}`,
      'expires',
    );
  }
  const region = standardRegionV4(opts.region);
  const product = opts.product ?? DEFAULT_PRODUCT;
  const isoDate = formatIsoBasic(now);
  const day = isoDate.slice(0, 8);
  const scope = scopeV4(day, region, product);
  const additional = additionalHeadersV4(opts.additionalHeaders, req.headers);
  const params: Record<string, string> = {
    'x-oss-signature-version': V4_ALGORITHM,
    'x-oss-credential': `${creds.accessKeyId}/${scope}`,
    'x-oss-date': isoDate,
    'x-oss-expires': String(expiresSeconds),
  };
  if (additional.length > 0) params['x-oss-additional-headers'] = additional.join(';');
  if (creds.securityToken) params['x-oss-security-token'] = creds.securityToken;
  const signed: SignableRequest = { ...req, query: { ...req.query, ...params } };
  const sts = stringToSignV4(isoDate, scope, buildCanonicalRequest(signed, additional, UNSIGNED_PAYLOAD));
  params['x-oss-signature'] = signatureV4(keyCache.get(creds.accessKeySecret, day, region, product), sts);
  return params;
}
