/**
 * Request addressing and operation dispatch: which bucket and key a request names (path-style `/bucket/key` or
 * virtual-host `Host: bucket.<anything>`), its decoded query, and which OSS operation the method and
 * sub-resources select.
 */
import { isIP } from 'node:net';
import { isValidBucketName } from './names.js';
import { ServerError } from './server-error.js';

/** Operations the server implements (names as in the OSS API reference). */
export type OpName =
  | 'ListBuckets'
  | 'PutBucket'
  | 'DeleteBucket'
  | 'GetBucket'
  | 'ListMultipartUploads'
  | 'PutObject'
  | 'AppendObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectMeta'
  | 'DeleteObject'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'GetObjectTagging'
  | 'DeleteObjectTagging'
  | 'Unsupported';

/** Where a request points. */
export interface Target {
  bucket?: string;
  key?: string;
  /** Decoded query; `null` for a bare parameter (`?uploads`). The first occurrence of a name wins. */
  query: Record<string, string | null>;
  /** How the bucket was addressed. */
  style: 'path' | 'virtual-host' | 'none';
}

/** Decodes a query string; `+` stays a plus (OSS clients percent-encode spaces). */
export function parseQuery(raw: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (raw === '') return out;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'query parameter');
    if (name in out) continue;
    out[name] = eq < 0 ? null : decode(pair.slice(eq + 1), 'query parameter');
  }
  return out;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ServerError(400, 'InvalidURI', `Couldn't decode the ${what}: ${s.slice(0, 64)}`);
  }
}

/** The host name of a Host header, without port and IPv6 brackets, lower-case. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * Resolves the bucket, key and query of a request.
 *
 * A Host whose first label is a valid bucket name selects virtual-host addressing, unless the host is an IP
 * address or `localhost`, or that label is not an existing bucket while the path is not just `/` (then the path
 * names the bucket: `Host: oss-cn-hangzhou.aliyuncs.com` with `/bucket/key` stays path-style).
 */
export function resolveTarget(rawUrl: string, host: string | undefined, bucketExists: (name: string) => boolean): Target {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
  if (!rawPath.startsWith('/')) throw new ServerError(400, 'InvalidURI', 'The request URI must start with /.');

  const name = host === undefined ? '' : hostName(host);
  const label = name.split('.')[0] ?? '';
  const vhostCandidate = name.includes('.') && isIP(name) === 0 && isValidBucketName(label);
  if (vhostCandidate && (rawPath === '/' || bucketExists(label))) {
    const key = decode(rawPath.slice(1), 'object name');
    return key === '' ? { bucket: label, query, style: 'virtual-host' } : { bucket: label, key, query, style: 'virtual-host' };
  }
  if (rawPath === '/') return { query, style: 'none' };
  const slash = rawPath.indexOf('/', 1);
  const bucket = decode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash), 'bucket name');
  const key = slash < 0 ? '' : decode(rawPath.slice(slash + 1), 'object name');
  return key === '' ? { bucket, query, style: 'path' } : { bucket, key, query, style: 'path' };
}

/** The operation selected by method, addressing level and sub-resources. */
export function selectOp(method: string, target: Target, headers: Record<string, string>): OpName {
  const q = target.query;
  const has = (name: string): boolean => name in q;
  if (target.bucket === undefined) return method === 'GET' ? 'ListBuckets' : 'Unsupported';
  if (target.key === undefined) {
    switch (method) {
      case 'GET':
        if (has('uploads')) return 'ListMultipartUploads';
        return hasAny(q, BUCKET_SUBRESOURCES) ? 'Unsupported' : 'GetBucket';
      case 'PUT':
        return hasAny(q, BUCKET_SUBRESOURCES) ? 'Unsupported' : 'PutBucket';
      case 'DELETE':
        return hasAny(q, BUCKET_SUBRESOURCES) ? 'Unsupported' : 'DeleteBucket';
      case 'POST':
        return 'Unsupported';
      default:
        return 'Unsupported';
    }
  }
  switch (method) {
    case 'PUT':
      if (headers['x-oss-copy-source'] !== undefined) return 'Unsupported';
      if (has('partNumber') || has('uploadId')) return 'UploadPart';
      if (has('acl')) return 'PutObjectAcl';
      return has('tagging') || has('symlink') ? 'Unsupported' : 'PutObject';
    case 'POST':
      if (has('uploads')) return 'InitiateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      if (has('append')) return 'AppendObject';
      return 'Unsupported';
    case 'GET':
      if (has('uploadId')) return 'ListParts';
      if (has('acl')) return 'GetObjectAcl';
      if (has('tagging')) return 'GetObjectTagging';
      if (has('objectMeta')) return 'GetObjectMeta';
      return has('symlink') ? 'Unsupported' : 'GetObject';
    case 'HEAD':
      return has('objectMeta') ? 'GetObjectMeta' : 'HeadObject';
    case 'DELETE':
      if (has('uploadId')) return 'AbortMultipartUpload';
      if (has('tagging')) return 'DeleteObjectTagging';
      return 'DeleteObject';
    default:
      return 'Unsupported';
  }
}

// Bucket sub-resources of operations this server does not implement: answered NotImplemented, not mistaken for
// GetBucket/PutBucket/DeleteBucket.
const BUCKET_SUBRESOURCES = [
  'acl', 'bucketInfo', 'location', 'cors', 'lifecycle', 'logging', 'policy', 'referer', 'website', 'versioning',
  'versions', 'tagging', 'encryption', 'inventory', 'worm', 'replication', 'qos', 'stat', 'list-type', 'requestPayment',
  'transferAcceleration', 'resourceGroup', 'style', 'cname', 'metaQuery', 'accessPoint', 'publicAccessBlock',
];

function hasAny(q: Record<string, string | null>, names: readonly string[]): boolean {
  for (const n of names) if (n in q) return true;
  return false;
}
