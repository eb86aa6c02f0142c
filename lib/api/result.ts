/**
 * What every operation's result carries (oss2's `RequestResult`: status, request id, headers), and the CRC64
 * comparison every write makes.
 */
import { crc64Equal } from '../core/crc64.js';
import type { HttpResponse } from '../core/http.js';
import { OssIntegrityError } from '../errors.js';

/** Fields shared by every result. */
export interface OssResult {
  /** HTTP status (200, or 203 inside an {@link OssCallbackError}). */
  status: number;
  /** `x-oss-request-id`: log it, support asks for it. */
  requestId: string;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
}

/**
 * The common fields and `fields` in one object. Object.assign, not `{ ...baseResult(res), ...}`: V8 takes a slow
 * path for a spread call result followed by more properties, 2–3 µs per request on the small-put path.
 */
export function resultOf<T extends object>(res: HttpResponse, fields: T): OssResult & T {
  return Object.assign(baseResult(res), fields);
}

/** The shared fields of `res`. */
export function baseResult(res: HttpResponse): OssResult {
  return { status: res.status, requestId: res.requestId ?? '', headers: res.headers };
}

/**
 * Compares the CRC64 the client computed with the one the server reports; a missing header is tolerated (some
 * OSS-compatible stores don't send it), a different value is an {@link OssIntegrityError}.
 */
export function verifyCrc64(expected: string, res: HttpResponse, what: string): void {
  const actual = res.headers['x-oss-hash-crc64ecma'];
  if (actual === undefined || crc64Equal(expected, actual)) return;
  throw new OssIntegrityError(
    `${what}: CRC64 mismatch, the client computed ${expected} but the server reports ${actual}`,
    {
      expected,
      actual,
      status: res.status,
      requestId: res.requestId,
    },
  );
}

/** `ETag` as OSS sends it (quoted). */
export function etagOf(res: HttpResponse): string {
  return res.headers['etag'] ?? '';
}
