/**
 * OSS signature V1 (`Authorization: OSS <AccessKeyId>:<Signature>`, HMAC-SHA1), as pure functions of
 * (request, credentials, time). The client signs with {@link signRequestV1} / {@link presignV1}; the local server
 * verifies by rebuilding the string to sign with {@link stringToSignV1} and comparing {@link signatureV1}.
 *
 * Protocol reference §1. Nothing here touches the network or module state.
 */
import { createHmac } from 'node:crypto';
import { OssArgumentError } from '../errors.js';

/**
 * The part of an HTTP request that signatures cover. Shared by V1 and V4.
 *
 * `headers` are expected with lower-case names (the signers also lower-case defensively, so mixed case signs the
 * same). `query` holds the parameters exactly as sent, un-encoded; `null` or `''` is a bare parameter like `?uploads`.
 */
export interface SignableRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Bucket name; `undefined` for service-level requests (ListBuckets). */
  bucket?: string;
  /** Raw (un-encoded) object key; `undefined` for bucket-level requests. */
  key?: string;
  /** Query parameters as sent; `null`/`''` values are bare sub-resources (`?uploads`). */
  query: Record<string, string | null>;
  /** Request headers with lower-case names. The signers add their headers here. */
  headers: Record<string, string>;
}

/** What a signer needs from a credential source. `securityToken` is set for STS credentials. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}

/**
 * Query parameters that are part of the V1 CanonicalizedResource. Any other parameter (`encoding-type`,
 * `max-parts`, `prefix`, …) is sent but not signed.
 *
 * The SDKs disagree on the list (protocol §1.3); this is the union of oss2's, go1's and go2's lists. The union is
 * safe because each SDK only sends parameters the service also treats as sub-resources, and the local server
 * verifies with this same set.
 */
export const V1_SUB_RESOURCES: ReadonlySet<string> = new Set([
  // in all three SDKs
  'acl',
  'append',
  'bucketInfo',
  'callback',
  'callback-var',
  'continuation-token',
  'delete',
  'location',
  'objectMeta',
  'partNumber',
  'position',
  'regionList',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'security-token',
  'sequential',
  'stat',
  'symlink',
  'tagging',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  // oss2 + go1
  'asyncFetch',
  'cname',
  'comp',
  'cors',
  'encryption',
  'endTime',
  'inventory',
  'inventoryId',
  'lifecycle',
  'live',
  'logging',
  'metaQuery',
  'policy',
  'qos',
  'qosInfo',
  'referer',
  'replication',
  'replicationLocation',
  'replicationProgress',
  'requestPayment',
  'resourceGroup',
  'startTime',
  'status',
  'style',
  'styleName',
  'transferAcceleration',
  'vod',
  'website',
  'worm',
  'wormExtend',
  'wormId',
  'x-oss-ac-forward-allow',
  'x-oss-ac-source-ip',
  'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id',
  'x-oss-async-process',
  'x-oss-process',
  'x-oss-request-payer',
  'x-oss-traffic-limit',
  // oss2 only
  'accessPoint',
  'accessPointPolicy',
  'bucketArchiveDirectRead',
  'group',
  'httpsConfig',
  'link',
  'objectInfo',
  'publicAccessBlock',
  'qosRequester',
  'redundancyTransition',
  'requesterQosInfo',
  'resourcePool',
  'resourcePoolBuckets',
  'resourcePoolInfo',
  'x-oss-access-point-name',
  'x-oss-redundancy-transition-taskid',
  'x-oss-target-redundancy-type',
  'x-oss-write-get-object-response',
  // go1 only (go1's `udf*` prefix family is left out: not an upload concern), go1 + go2
  'img',
  'rtc',
  'responseHeader',
  'withHashContext',
  'x-oss-enable-md5',
  'x-oss-enable-sha1',
  'x-oss-enable-sha256',
  'x-oss-hash-ctx',
  'x-oss-md5-ctx',
  'cloudboxes',
]);

/** Byte-order comparison; for the ASCII names signed here it equals UTF-8 byte order (not `localeCompare`). */
export function compareBytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The V1 CanonicalizedResource: `/bucket/key` with the raw key, `/bucket/` without key, `/` without bucket, then
 * `?` and the sorted sub-resources (`k=v`, or bare `k` when the value is null or empty; values not encoded).
 */
export function canonicalResourceV1(
  bucket: string | undefined,
  key: string | undefined,
  query: Record<string, string | null>,
): string {
  let resource = bucket === undefined ? '/' : key === undefined ? `/${bucket}/` : `/${bucket}/${key}`;
  let names: string[] | undefined;
  for (const name in query) {
    if (V1_SUB_RESOURCES.has(name) && query[name] !== undefined) (names ??= []).push(name);
  }
  if (names === undefined) return resource;
  names.sort(compareBytewise);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = query[name];
    resource += (i === 0 ? '?' : '&') + (value === null || value === '' ? name : `${name}=${value}`);
  }
  return resource;
}

/**
 * CanonicalizedOSSHeaders: every `x-oss-*` header (name lower-cased, value trimmed, same-name values joined with
 * `,`), sorted by name, each as `name:value\n`.
 */
export function canonicalOssHeadersV1(headers: Record<string, string>): string {
  let pairs: [string, string][] | undefined;
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name.startsWith('x-oss-')) (pairs ??= []).push([name, value.trim()]);
  }
  return pairs === undefined ? '' : headerLines(pairs);
}

/**
 * `name:value\n` lines sorted by name in byte order (V1 and V4 alike; `pairs` is sorted in place). The same name in
 * two spellings becomes one line with comma-joined values, like HTTP folding; Array#sort is stable, so those values
 * keep their insertion order.
 */
export function headerLines(pairs: [string, string][]): string {
  pairs.sort((a, b) => compareBytewise(a[0], b[0]));
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!;
    if (i > 0 && pairs[i - 1]![0] === name) out = `${out.slice(0, -1)},${value}\n`;
    else out += `${name}:${value}\n`;
  }
  return out;
}

/** A header's value by case-insensitive name: the lower-case fast path first, then a scan. */
function headerValue(headers: Record<string, string>, lowerName: string): string | undefined {
  const direct = headers[lowerName];
  if (direct !== undefined) return direct;
  for (const name in headers) if (name.toLowerCase() === lowerName) return headers[name];
  return undefined;
}

/**
 * The Date line a server must use to verify a header-signed V1 request: `x-oss-date` when present (ali-oss sends
 * only that), else `Date`, else `''`.
 */
export function headerDateLineV1(headers: Record<string, string>): string {
  return headerValue(headers, 'x-oss-date') ?? headerValue(headers, 'date') ?? '';
}

/**
 * The V1 StringToSign. `dateLine` is the `Date`/`x-oss-date` value for header auth, or the `Expires` Unix seconds
 * for presigned URLs. Content-MD5 and Content-Type are used verbatim (absent = empty).
 */
export function stringToSignV1(req: SignableRequest, dateLine: string): string {
  const h = req.headers;
  return (
    `${req.method}\n${headerValue(h, 'content-md5') ?? ''}\n${headerValue(h, 'content-type') ?? ''}\n${dateLine}\n` +
    canonicalOssHeadersV1(h) +
    canonicalResourceV1(req.bucket, req.key, req.query)
  );
}

/** `base64(HMAC-SHA1(secret, stringToSign))`, both UTF-8. */
export function signatureV1(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** RFC 1123 GMT date (`Wed, 28 Dec 2022 10:27:41 GMT`) as used by `Date` and V1 `x-oss-date`. */
export function formatRfc1123(d: Date): string {
  return d.toUTCString();
}

/**
 * Signs a request with V1 header auth, mutating `req.headers`: sets `date` and `x-oss-date` (same RFC 1123 value),
 * `x-oss-security-token` for STS credentials (and removes a stale one otherwise, so a re-sign after a credential
 * refresh is correct), and `authorization`. Safe to call again on retry.
 */
export function signRequestV1(req: SignableRequest, creds: SigningCredentials, now: Date): void {
  const h = req.headers;
  const date = formatRfc1123(now);
  h['date'] = date;
  h['x-oss-date'] = date;
  if (creds.securityToken) h['x-oss-security-token'] = creds.securityToken;
  // Deleting a property turns the headers into a slow dictionary object: only when there is one to delete.
  else if (h['x-oss-security-token'] !== undefined) delete h['x-oss-security-token'];
  h['authorization'] = `OSS ${creds.accessKeyId}:${signatureV1(creds.accessKeySecret, stringToSignV1(req, date))}`;
}

/**
 * Query parameters that make a V1 presigned URL valid until `expiresUnixSeconds`: `OSSAccessKeyId`, `Expires`,
 * `Signature` and, for STS, `security-token`. Values are raw: URL-encode them when building the URL. Headers
 * present in `req.headers` (Content-Type, Content-MD5, `x-oss-*`) are signed and must be sent by the URL's user.
 * `req` is not modified.
 */
export function presignV1(
  req: SignableRequest,
  creds: SigningCredentials,
  expiresUnixSeconds: number,
): Record<string, string> {
  if (!Number.isSafeInteger(expiresUnixSeconds) || expiresUnixSeconds < 0) {
    throw new OssArgumentError(
      `expires must be a non-negative integer of Unix seconds, got ${String(expiresUnixSeconds)}`,
      'expires',
    );
  }
  const expires = String(expiresUnixSeconds);
  const token = creds.securityToken;
  // The token is a sub-resource, so it is signed as part of the resource.
  const signed: SignableRequest = token ? { ...req, query: { ...req.query, 'security-token': token } } : req;
  const out: Record<string, string> = {
    OSSAccessKeyId: creds.accessKeyId,
    Expires: expires,
    Signature: signatureV1(creds.accessKeySecret, stringToSignV1(signed, expires)),
  };
  if (token) out['security-token'] = token;
  return out;
}
