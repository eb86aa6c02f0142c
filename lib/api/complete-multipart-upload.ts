/** CompleteMultipartUpload: commits the listed parts as one object and checks the whole-object CRC64. */
import type { OssContext } from './context.js';
import { callbackAnswer } from './callback-result.js';
import { resultOf, etagOf, verifyCrc64, type OssResult } from './result.js';
import { uploadHeaders, type UploadHeaderOptions } from './upload-headers.js';
import { crc64Combine, crc64Equal } from '../core/crc64.js';
import { validateObjectKey, validatePartNumber } from '../core/validate.js';
import { buildCompleteMultipartUpload, parseCompleteMultipartUploadResult } from '../core/xml.js';
import { OssArgumentError, OssServiceError } from '../errors.js';
import { headObject } from './head-object.js';
import type { HttpResponse } from '../core/http.js';

/** A part as Complete needs it; `crc64` and `size` (from {@link UploadPartResult}) enable the whole-object check. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
  crc64?: string | undefined;
  size?: number | undefined;
}

/** Options of {@link completeMultipartUpload}. */
export interface CompleteMultipartUploadOptions extends UploadHeaderOptions {
  signal?: AbortSignal | undefined;
}

/** The committed object. */
export interface CompleteMultipartUploadResult extends OssResult {
  /** Quoted multipart ETag (`"<hex>-<parts>"`, not an MD5 of the content). */
  etag: string;
  /** CRC64 of the whole object (decimal); verified against the parts' CRCs when every part carried one. */
  crc64: string;
  /** Bytes in the object, when every part carried its size. */
  size: number | undefined;
  location?: string | undefined;
  versionId?: string | undefined;
  callbackBody?: string | undefined;
}

/** CRC64 of the object made of `parts` in order, or `undefined` when a part lacks its CRC or size. */
export function combinedCrc64(parts: readonly CompletedPart[]): { crc64: string; size: number } | undefined {
  let crc = '0';
  let size = 0;
  for (const p of parts) {
    if (p.crc64 === undefined || p.size === undefined) return undefined;
    crc = crc64Combine(crc, p.crc64, p.size);
    size += p.size;
  }
  return { crc64: crc, size };
}

/** Checks one listed part; every problem is a typed error raised before the request. */
function checkPart(p: unknown, ctx: OssContext): CompletedPart {
  if (p === null || typeof p !== 'object')
    throw new OssArgumentError('each part must be an object { partNumber, etag, crc64?, size? }', 'parts');
  const part = p as CompletedPart;
  validatePartNumber(part.partNumber, ctx.options.limits);
  const n = part.partNumber;
  if (typeof part.etag !== 'string' || part.etag === '') throw new OssArgumentError(`part ${n} has no ETag`, 'parts');
  if (part.crc64 !== undefined && (typeof part.crc64 !== 'string' || !crc64Equal(part.crc64, part.crc64))) {
    throw new OssArgumentError(`part ${n} has crc64 ${String(part.crc64)}; it must be a decimal CRC64 string`, 'parts');
  }
  if (part.size !== undefined && (!Number.isSafeInteger(part.size) || part.size < 0)) {
    throw new OssArgumentError(`part ${n} has size ${String(part.size)}; it must be a non-negative integer`, 'parts');
  }
  return part;
}

/** Commits `parts` (sorted here) of `uploadId` as `key`. See {@link Bucket.completeMultipartUpload}. */
export async function completeMultipartUpload(
  ctx: OssContext,
  key: string,
  uploadId: string,
  parts: readonly CompletedPart[],
  opts: CompleteMultipartUploadOptions = {},
): Promise<CompleteMultipartUploadResult> {
  validateObjectKey(key, ctx.options.limits);
  if (typeof uploadId !== 'string' || uploadId === '')
    throw new OssArgumentError('uploadId must be a non-empty string', 'uploadId');
  if (!Array.isArray(parts) || parts.length === 0)
    throw new OssArgumentError('Complete needs at least one part', 'parts');
  const sorted = parts.map((p) => checkPart(p, ctx)).sort((a, b) => a.partNumber - b.partNumber);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.partNumber === sorted[i - 1]!.partNumber)
      throw new OssArgumentError(`part ${sorted[i]!.partNumber} is listed twice`, 'parts');
  }
  const headers = uploadHeaders(opts, undefined);
  headers['content-type'] ??= 'application/xml';
  const xml = Buffer.from(
    buildCompleteMultipartUpload(sorted.map((p) => ({ partNumber: p.partNumber, etag: p.etag }))),
    'utf8',
  );
  let res: HttpResponse;
  try {
    res = await ctx.send({
      operation: 'CompleteMultipartUpload',
      method: 'POST',
      key,
      query: { uploadId },
      headers,
      body: xml,
      signal: opts.signal,
    });
  } catch (err) {
    // A Complete whose answer was lost is retried by the transport and then finds its upload gone: if the object is
    // there with exactly our parts' CRC64 and size, the first attempt committed it. That is success, not an error.
    if (err instanceof OssServiceError && err.code === 'NoSuchUpload') {
      const committed = await committedEarlier(ctx, key, sorted, opts.signal);
      if (committed !== undefined) return committed;
    }
    throw err;
  }
  // Read the answer first: the connection goes back to the pool whatever the verdict below.
  const text = await res.text();
  const expected = combinedCrc64(sorted);
  const result: CompleteMultipartUploadResult = resultOf(res, {
    etag: etagOf(res),
    crc64: res.headers['x-oss-hash-crc64ecma'] ?? expected?.crc64 ?? '',
    size: expected?.size,
    versionId: res.headers['x-oss-version-id'],
  });
  if (expected !== undefined) verifyCrc64(expected.crc64, res, `CompleteMultipartUpload ${key}`);
  if (headers['x-oss-callback'] !== undefined) {
    result.callbackBody = callbackAnswer(res, text, result, 'CompleteMultipartUpload');
  } else if (text.length > 0) {
    const parsed = parseCompleteMultipartUploadResult(text);
    result.location = parsed.location;
    if (result.etag === '') result.etag = parsed.etag;
  }
  return result;
}

/** The object as an earlier attempt of this Complete left it, when its CRC64 and size are exactly the parts'. */
async function committedEarlier(
  ctx: OssContext,
  key: string,
  parts: readonly CompletedPart[],
  signal: AbortSignal | undefined,
): Promise<CompleteMultipartUploadResult | undefined> {
  const expected = combinedCrc64(parts);
  if (expected === undefined) return undefined;
  try {
    const h = await headObject(ctx, key, { signal });
    if (h.crc64 === undefined || !crc64Equal(h.crc64, expected.crc64) || h.size !== expected.size) return undefined;
    return {
      status: h.status,
      requestId: h.requestId,
      headers: h.headers,
      etag: h.etag,
      crc64: h.crc64,
      size: h.size,
      versionId: h.versionId,
    };
  } catch {
    return undefined;
  }
}
