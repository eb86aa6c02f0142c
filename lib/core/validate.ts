/**
 * Argument checks shared by every operation, so bad input fails with a typed error before any byte is sent.
 */
import { LIMITS, type OssLimits } from '../config.js';
import { OssArgumentError } from '../errors.js';

const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** OSS bucket names: 3–63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter or digit. */
export function isValidBucketName(name: string): boolean {
  return BUCKET_RE.test(name);
}

/** What every entry point (client, CLI, server options) says of a bucket name that is not valid. */
export function invalidBucketNameMessage(name: unknown): string {
  return (
    `bucket name ${JSON.stringify(name)} is invalid: ` +
    "use 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
  );
}

/** A valid OSS bucket name (see {@link isValidBucketName}), or OssArgumentError InvalidBucketName. */
export function validateBucketName(bucket: unknown): string {
  if (typeof bucket !== 'string' || !isValidBucketName(bucket)) {
    throw new OssArgumentError(invalidBucketNameMessage(bucket), 'bucket', 'InvalidBucketName');
  }
  return bucket;
}

/** True when `s` holds a lone UTF-16 surrogate, which cannot be encoded as UTF-8 (it would silently become U+FFFD). */
function hasLoneSurrogate(s: string): boolean {
  // String.prototype.isWellFormed exists from Node 20; keep a fallback for older runtimes bundling us.
  const wf = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (wf) return !wf.call(s);
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Object keys: 1–1023 UTF-8 bytes, valid Unicode, not starting with `/` or `\`. */
export function validateObjectKey(key: unknown, limits: OssLimits = LIMITS): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new OssArgumentError('object key must be a non-empty string', 'key', 'InvalidObjectName');
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new OssArgumentError(
      `object key ${JSON.stringify(key.slice(0, 64))} must not start with '/' or '\\'`,
      'key',
      'InvalidObjectName',
    );
  }
  if (hasLoneSurrogate(key)) {
    throw new OssArgumentError(
      'object key contains an unpaired UTF-16 surrogate and cannot be encoded as UTF-8',
      'key',
      'InvalidObjectName',
    );
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limits.maxKeyBytes) {
    throw new OssArgumentError(
      `object key is ${bytes} UTF-8 bytes long; the limit is ${limits.maxKeyBytes}`,
      'key',
      'InvalidObjectName',
    );
  }
  return key;
}

// RFC 7230 token characters for header names.
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space and tab; latin-1 is technically allowed but OSS signs bytes, so keep values unambiguous.
const HEADER_VALUE_RE = /^[\t\x20-\x7e]*$/;

/** Checks caller-supplied headers: token names, no CR/LF, ASCII values, ASCII `x-oss-meta-*` names. */
export function validateHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  if (headers === null || typeof headers !== 'object')
    throw new OssArgumentError('headers must be an object of strings', 'headers');
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    if (!HEADER_NAME_RE.test(name)) {
      throw new OssArgumentError(
        `header name ${JSON.stringify(name)} is invalid: use ASCII letters, digits and - only`,
        `headers[${JSON.stringify(name)}]`,
      );
    }
    const value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (typeof value !== 'string')
      throw new OssArgumentError(`header ${name} must be a string`, `headers[${JSON.stringify(name)}]`);
    if (!HEADER_VALUE_RE.test(value)) {
      throw new OssArgumentError(
        `header ${name} has a value with CR/LF or non-ASCII characters; encode it (e.g. encodeURIComponent) first`,
        `headers[${JSON.stringify(name)}]`,
      );
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** Part numbers are 1..10,000 (or the configured limit). */
export function validatePartNumber(n: unknown, limits: OssLimits = LIMITS): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > limits.maxParts) {
    throw new OssArgumentError(
      `part number must be an integer from 1 to ${limits.maxParts}, got ${String(n)}`,
      'partNumber',
    );
  }
  return n;
}
