/**
 * Request addressing and operation dispatch: which bucket and key a request names (path-style `/bucket/key` or
 * virtual-host `Host: bucket.<anything>`), its decoded query, and which OSS operation the method and
 * sub-resources select.
 */
import { isIP } from 'node:net';
import { isValidBucketName } from '../core/validate.js';
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
  | 'PutObjectTagging'
  | 'CopyObject'
  | 'UploadPartCopy'
  | 'DeleteMultipleObjects'
  | 'ListObjectsV2'
  | 'PutSymlink'
  | 'GetSymlink'
  | 'PostObject'
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
  // No prototype: a parameter named `constructor`, `toString` or `__proto__` is a parameter like any other.
  const out = Object.create(null) as Record<string, string | null>;
  if (raw === '') return out;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'query parameter');
    if (Object.hasOwn(out, name)) continue;
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
export function resolveTarget(
  rawUrl: string,
  host: string | undefined,
  bucketExists: (name: string) => boolean,
): Target {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
  if (!rawPath.startsWith('/')) throw new ServerError(400, 'InvalidURI', 'The request URI must start with /.');

  const name = host === undefined ? '' : hostName(host);
  const label = name.split('.')[0] ?? '';
  const vhostCandidate = name.includes('.') && isIP(name) === 0 && isValidBucketName(label);
  if (vhostCandidate && (rawPath === '/' || bucketExists(label))) {
    const key = decode(rawPath.slice(1), 'object name');
    return key === ''
      ? { bucket: label, query, style: 'virtual-host' }
      : { bucket: label, key, query, style: 'virtual-host' };
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
  if (target.bucket === undefined) {
    return method === 'GET' && !hasAny(q, SERVICE_SUBRESOURCES) ? 'ListBuckets' : 'Unsupported';
  }
  if (target.key === undefined) return selectBucketOp(method, q, headers);
  // A sub-resource this server does not implement for this method must never fall through to a plain object
  // operation (`PUT /<name>?live` stored as an object, `GET ?x-oss-process` answering the original bytes).
  if (unimplemented(method, q, OBJECT_SUBRESOURCES)) return 'Unsupported';
  switch (method) {
    case 'PUT':
      if (has('partNumber') || has('uploadId')) {
        return headers['x-oss-copy-source'] === undefined ? 'UploadPart' : 'UploadPartCopy';
      }
      if (has('acl')) return 'PutObjectAcl';
      if (has('tagging')) return 'PutObjectTagging';
      if (has('symlink')) return 'PutSymlink';
      return headers['x-oss-copy-source'] === undefined ? 'PutObject' : 'CopyObject';
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
      return has('symlink') ? 'GetSymlink' : 'GetObject';
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

function selectBucketOp(method: string, q: Record<string, string | null>, headers: Record<string, string>): OpName {
  if (unimplemented(method, q, BUCKET_OPS_SUBRESOURCES) || hasAny(q, BUCKET_SUBRESOURCES)) return 'Unsupported';
  switch (method) {
    case 'GET':
      if ('uploads' in q) return 'ListMultipartUploads';
      return 'list-type' in q ? 'ListObjectsV2' : 'GetBucket';
    case 'PUT':
      return 'PutBucket';
    case 'DELETE':
      return 'DeleteBucket';
    case 'POST':
      if ('delete' in q) return 'DeleteMultipleObjects';
      // A browser form upload: `POST /` with a multipart/form-data body and no sub-resource.
      return isForm(headers) && Object.keys(q).length === 0 ? 'PostObject' : 'Unsupported';
    default:
      return 'Unsupported';
  }
}

/** Sub-resources by the methods this server implements them for; `[]`: an OSS sub-resource it does not implement. */
type SubresourceTable = Readonly<Record<string, readonly string[]>>;

// Object-level sub-resources (protocol reference §1.3) that select an operation. Modifiers of an operation
// (`response-*`, `callback`, `encoding-type`, `sequential`, `x-oss-traffic-limit`, signature parameters…) are not
// listed: they never select one.
const OBJECT_SUBRESOURCES: SubresourceTable = {
  uploadId: ['PUT', 'POST', 'GET', 'DELETE'],
  partNumber: ['PUT'],
  uploads: ['POST'],
  append: ['POST'],
  position: ['POST'],
  acl: ['GET', 'PUT'],
  tagging: ['GET', 'PUT', 'DELETE'],
  symlink: ['GET', 'PUT'],
  objectMeta: ['GET', 'HEAD'],
  // Image and document processing, SQL select (`x-oss-process=csv/select`), async processing.
  'x-oss-process': [],
  'x-oss-async-process': [],
  // LiveChannel (RTMP ingest: `PUT /<channel>?live`, `?live&comp=stat`, `?vod`), archive restore, and the rest.
  live: [],
  comp: [],
  vod: [],
  restore: [],
  cleanRestoredObject: [],
  objectInfo: [],
  delete: [],
  'x-oss-write-get-object-response': [],
};

// Bucket-level sub-resources of operations this server implements, by method.
const BUCKET_OPS_SUBRESOURCES: SubresourceTable = {
  uploads: ['GET'],
  'list-type': ['GET'],
  'continuation-token': ['GET'],
  delete: ['POST'],
  uploadId: [],
  partNumber: [],
  append: [],
  position: [],
  symlink: [],
  objectMeta: [],
  'x-oss-process': [],
  'x-oss-async-process': [],
  restore: [],
  live: [],
  comp: [],
  vod: [],
  asyncFetch: [],
};

// Bucket sub-resources of operations this server does not implement: answered NotImplemented, not mistaken for
// GetBucket/PutBucket/DeleteBucket.
const BUCKET_SUBRESOURCES = [
  'acl',
  'bucketInfo',
  'location',
  'cors',
  'lifecycle',
  'logging',
  'policy',
  'referer',
  'website',
  'versioning',
  'versions',
  'tagging',
  'encryption',
  'inventory',
  'worm',
  'replication',
  'qos',
  'stat',
  'requestPayment',
  'transferAcceleration',
  'resourceGroup',
  'style',
  'cname',
  'metaQuery',
  'accessPoint',
  'publicAccessBlock',
  'wormId',
  'wormExtend',
  'inventoryId',
  'replicationLocation',
  'replicationProgress',
  'qosInfo',
  'httpsConfig',
  'policyStatus',
  'redundancyTransition',
  'archiveDirectRead',
  'bucketArchiveDirectRead',
  'responseHeader',
  'userDefinedLogFieldsConfig',
  'overwriteConfig',
  'dataredundancytransition',
];

// Service-level (`GET /`) sub-resources: DescribeRegions, resource pools, account-level settings.
const SERVICE_SUBRESOURCES = [
  'regions',
  'regionList',
  'resourcePool',
  'resourcePoolInfo',
  'resourcePoolBuckets',
  'publicAccessBlock',
  'qosInfo',
];

function isForm(headers: Record<string, string>): boolean {
  return /^multipart\/form-data\b/i.test(headers['content-type'] ?? '');
}

/** True when a query names a sub-resource of `table` that this server does not implement for `method`. */
function unimplemented(method: string, q: Record<string, string | null>, table: SubresourceTable): boolean {
  for (const name in q) {
    if (Object.hasOwn(table, name) && !table[name]!.includes(method)) return true;
  }
  return false;
}

function hasAny(q: Record<string, string | null>, names: readonly string[]): boolean {
  for (const n of names) if (n in q) return true;
  return false;
}
